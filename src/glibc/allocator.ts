// Which malloc a process uses, from what it maps. A replacement allocator
// (LD_PRELOAD or linked) interposes malloc, so a mapped libjemalloc /
// libtcmalloc / libmimalloc wins over glibc. musl is recognised by its
// dynamic loader (which is also its libc). With no C library mapped at all
// the allocator is linked into the executable (a static binary). glibc 2.34+
// routes every allocation to a separate copy of malloc inside
// libc_malloc_debug.so when that DSO is preloaded *and* MALLOC_CHECK_ (or the
// glibc.malloc.check tunable) is set (malloc/malloc-debug.c, 2.34+); preloaded alone, it just
// forwards to libc.
//
// detectAllocator(maps, env) is what the engine calls (no file reads);
// given a pid it also reads the glibc version banner and, for a static
// binary, looks inside the executable.
import { readFileSync } from 'node:fs';
import type { AllocatorInfo } from '../model/snapshot.js';
import type { MapEntry } from '../proc/maps.js';
import { procPath } from '../proc/procfs.js';
import { readEnviron } from '../proc/status.js';
import { libcName, mallocDebugName } from './libc.js';
import { glibcTunablesValue } from './tunables.js';

const replacements: Array<{ allocator: 'jemalloc' | 'tcmalloc' | 'mimalloc'; name: RegExp }> = [
  { allocator: 'jemalloc', name: /(^|\/)libjemalloc[^/]*\.so[^/]*$/ },
  { allocator: 'tcmalloc', name: /(^|\/)libtcmalloc[^/]*\.so[^/]*$/ },
  { allocator: 'mimalloc', name: /(^|\/)libmimalloc[^/]*\.so[^/]*$/ },
];
// The loader symlink (/lib/ld-musl-x86_64.so.1) resolves to e.g.
// /usr/lib/x86_64-linux-musl/libc.so, which is what maps shows.
const muslName = /(^|\/)(ld-musl-[^/]+\.so[^/]*|libc\.musl-[^/]+\.so[^/]*)$|musl[^/]*\/libc\.so[^/]*$/;
/** The banner in glibc's read-only data: "GNU C Library (...) ... release version 2.36." */
const bannerRe = /GNU C Library[^\n\0]*?release version (\d+\.\d+)/;
/** Bound on how much of a static executable is scanned for the banner. */
const maxBannerScan = 64 * 1024 * 1024;

function mappedPaths(maps: MapEntry[]): string[] {
  const seen = new Set<string>();
  for (const m of maps) if (m.path.startsWith('/')) seen.add(m.path.replace(/ \(deleted\)$/, ''));
  return [...seen];
}

function readTargetFile(pid: number, path: string): Buffer | null {
  // Through the target's root first, so a containerised target's own file is read.
  for (const p of [procPath(pid, 'root') + path, path]) {
    try {
      const b = readFileSync(p);
      return b.length > maxBannerScan ? b.subarray(0, maxBannerScan) : b;
    } catch {
      // next
    }
  }
  return null;
}

export function glibcVersionFromBytes(bytes: Buffer): string | null {
  const at = bytes.indexOf('GNU C Library');
  if (at < 0) return null;
  const m = bannerRe.exec(bytes.toString('latin1', at, Math.min(bytes.length, at + 512)));
  return m ? m[1]! : null;
}

function exeBytes(pid: number): Buffer | null {
  try {
    const b = readFileSync(procPath(pid, 'exe'));
    return b.length > maxBannerScan ? b.subarray(0, maxBannerScan) : b;
  } catch {
    return null;
  }
}

/** The setting that routes malloc into libc_malloc_debug.so, or null. */
function mallocCheckSetting(env: Record<string, string> | null): string | null {
  if (!env) return null;
  const check = env.MALLOC_CHECK_;
  if (check !== undefined && check !== '' && check !== '0') return `MALLOC_CHECK_=${check}`;
  const t = /(?:^|:)glibc\.malloc\.check=(\d+)/.exec(glibcTunablesValue(env) ?? '');
  if (t && t[1] !== '0') return `glibc.malloc.check=${t[1]}`;
  return null;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * Position of a mapped library in LD_PRELOAD (earlier interposes first). maps
 * shows the resolved file (libtcmalloc_minimal.so.4.5.10) while LD_PRELOAD
 * usually names the soname link (libtcmalloc_minimal.so.4), so a mapped name
 * that extends the preloaded one counts as the same library.
 */
function preloadRank(env: Record<string, string> | null, path: string): number {
  const list = (env?.LD_PRELOAD ?? '').split(/[\s:]+/).filter(Boolean);
  const base = basename(path);
  const i = list.findIndex((p) => p === path || base === basename(p) || base.startsWith(basename(p) + '.'));
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

export function mallocCheckActive(env: Record<string, string> | null): boolean {
  return mallocCheckSetting(env) !== null;
}

/**
 * The allocator from a process's mappings and environment. With `pid`, also
 * the glibc version (banner in the target's libc file) and a look inside a
 * static executable; without, glibcVersion is null.
 */
export function detectAllocator(maps: MapEntry[], env: Record<string, string> | null, pid: number | null = null): AllocatorInfo {
  const paths = mappedPaths(maps);
  const libc = paths.find((p) => libcName.test(p) && !muslName.test(p)) ?? null;
  const glibcVersion = (): string | null => {
    if (!libc || pid === null) return null;
    const bytes = readTargetFile(pid, libc);
    return bytes ? glibcVersionFromBytes(bytes) : null;
  };

  const found = replacements
    .flatMap((r) => paths.filter((p) => r.name.test(p)).map((p) => ({ allocator: r.allocator, path: p })))
    .sort((a, b) => preloadRank(env, a.path) - preloadRank(env, b.path));
  if (found.length) {
    const f = found[0]!;
    const how = preloadRank(env, f.path) < Number.MAX_SAFE_INTEGER ? ' (LD_PRELOAD)' : '';
    return { allocator: f.allocator, evidence: `${f.path} is mapped${how}`, libcPath: libc, glibcVersion: glibcVersion() };
  }

  const musl = paths.find((p) => muslName.test(p));
  if (musl) return { allocator: 'musl', evidence: `${musl} is mapped (musl's loader and libc)`, libcPath: musl, glibcVersion: null };

  if (libc) {
    const debug = paths.find((p) => mallocDebugName.test(p));
    const check = mallocCheckSetting(env);
    if (debug && check) {
      return { allocator: 'glibc-debug', evidence: `${debug} is mapped and ${check} is set: allocations go to the debug DSO's own malloc`, libcPath: libc, glibcVersion: glibcVersion() };
    }
    const note = debug ? ` (${debug} is mapped but MALLOC_CHECK_ is not set, so it forwards to libc)` : '';
    return { allocator: 'glibc', evidence: `${libc} is mapped${note}`, libcPath: libc, glibcVersion: glibcVersion() };
  }

  // Nothing mapped: the allocator is linked into the executable.
  const exe = pid === null ? null : exeBytes(pid);
  const version = exe ? glibcVersionFromBytes(exe) : null;
  // Static glibc rarely links the banner, but always its tunable names.
  const embedsGlibc = version !== null || (exe !== null && exe.indexOf('glibc.malloc.') >= 0);
  const what = version ? `; the executable embeds glibc ${version}` : embedsGlibc ? "; the executable embeds glibc's malloc" : '';
  return { allocator: 'static', evidence: `no C library is mapped: statically linked${what}`, libcPath: null, glibcVersion: version };
}

/** detectAllocator for a live process: reads its environment, libc banner and, if static, its executable. */
export function detectAllocatorForPid(pid: number, maps: MapEntry[]): AllocatorInfo {
  return detectAllocator(maps, readEnviron(pid), pid);
}
