// Checks made before touching a target, so the user gets one clear line
// instead of a confusing failure later: the pid exists, we may read it, it is
// not a kernel thread, and (for commands that parse its memory) it is a 64-bit
// x86-64 ELF process, the only layout arenascope's parsers know.
import { openSync, readSync, closeSync } from 'node:fs';
import { ArenascopeError } from '../errors.js';
import { procPath, readProcText } from '../proc/procfs.js';
import { parseStat, parseStatus } from '../proc/status.js';

/** ELF e_ident[EI_CLASS] == ELFCLASS64 and e_machine == EM_X86_64 (62). */
function elfKind(pid: number): 'x86_64' | 'elf32' | 'other-arch' | 'not-elf' | 'unknown' {
  let fd: number;
  try {
    fd = openSync(procPath(pid, 'exe'), 'r');
  } catch {
    return 'unknown';
  }
  try {
    const b = Buffer.alloc(20);
    if (readSync(fd, b, 0, 20, 0) < 20) return 'not-elf';
    if (b.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
    if (b[4] === 1) return 'elf32';
    return b.readUInt16LE(18) === 62 ? 'x86_64' : 'other-arch';
  } finally {
    closeSync(fd);
  }
}

export interface PreflightOptions {
  /** Refuse targets whose memory arenascope cannot parse (32-bit, other ISAs, non-ELF). */
  requireX86_64?: boolean;
}

export function preflight(pid: number, options: PreflightOptions = {}): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new ArenascopeError('EINVAL', `not a pid: ${pid}`);
  const status = parseStatus(readProcText(pid, 'status')); // ESRCH / EPERM
  if (/^[ZX]/.test(status.state)) throw new ArenascopeError('ESRCH', `process ${pid} has exited (${status.state})`, 3);
  // PF_KTHREAD (include/linux/sched.h) in /proc/PID/stat's flags field.
  if ((parseStat(readProcText(pid, 'stat')).flags & 0x00200000) !== 0 || status.vmSize === null) {
    throw new ArenascopeError('UNSUPPORTED_TARGET', `pid ${pid} (${status.name}) is a kernel thread: it has no user memory to inspect`);
  }
  readProcText(pid, 'maps'); // PTRACE_MODE_READ check: EPERM with advice when refused
  if (!options.requireX86_64) return;
  const kind = elfKind(pid);
  if (kind === 'elf32') throw new ArenascopeError('UNSUPPORTED_TARGET', `pid ${pid} is a 32-bit process; arenascope reads 64-bit x86-64 processes only`);
  if (kind === 'other-arch') throw new ArenascopeError('UNSUPPORTED_TARGET', `pid ${pid} is not an x86-64 process`);
  if (kind === 'not-elf') throw new ArenascopeError('UNSUPPORTED_TARGET', `pid ${pid} does not run an ELF executable`);
}
