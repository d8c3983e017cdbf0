// Files arenascope writes appear whole or not at all: written to a temp file
// in the destination directory (same filesystem, so rename is atomic), mode
// 0600 because dumps hold whatever the target held (passwords, keys), then
// renamed over the final name. An existing file is refused unless force.
import { closeSync, existsSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ArenascopeError } from '../errors.js';
import { onCleanup } from '../session/cleanup.js';

export function refuseExisting(path: string, force: boolean): void {
  if (!force && existsSync(path)) {
    throw new ArenascopeError('EEXIST', `${path} exists; use --force to overwrite it`);
  }
}

export interface TempFile {
  fd: number;
  path: string;
  /**
   * Closes and renames onto the final path. Atomic against interruption and
   * concurrent readers; not fsynced: a dump is a diagnostic artefact, and an
   * fsync of a large file costs more than the dump itself.
   */
  commit(): void;
  /** Closes and removes the temp file. */
  discard(): void;
}

export function openTemp(finalPath: string): TempFile {
  const tmp = join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o600);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ArenascopeError(e.code === 'ENOSPC' ? 'ENOSPC' : 'EIO', `cannot create ${tmp}: ${e.message}`, e.errno ? -e.errno : 0);
  }
  let open = true;
  const unregister = onCleanup(() => {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  });
  const close = () => {
    if (open) {
      open = false;
      closeSync(fd);
    }
  };
  return {
    fd,
    path: tmp,
    commit() {
      try {
        close();
        renameSync(tmp, finalPath);
        unregister();
      } catch (err) {
        this.discard();
        const e = err as NodeJS.ErrnoException;
        throw new ArenascopeError(e.code === 'ENOSPC' ? 'ENOSPC' : 'EIO', `cannot write ${finalPath}: ${e.message}`);
      }
    },
    discard() {
      close();
      try {
        unlinkSync(tmp);
      } catch {
        // never created or already removed
      }
      unregister();
    },
  };
}

/** Writes a small file atomically (temp + rename, 0600). */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const t = openTemp(path);
  try {
    writeFileSync(t.fd, data);
  } catch (err) {
    t.discard();
    const e = err as NodeJS.ErrnoException;
    throw new ArenascopeError(e.code === 'ENOSPC' ? 'ENOSPC' : 'EIO', `cannot write ${path}: ${e.message}`);
  }
  t.commit();
}
