// Which allocator serves malloc in the target. A replacement allocator that is
// mapped (LD_PRELOAD or linked) interposes malloc ahead of libc, so it wins
// even though libc is mapped too. glibc's malloc-debug DSO (2.34+) only takes
// over when MALLOC_CHECK_ / glibc.malloc.check is set (reference §8).
import type { AllocatorInfo } from '../model/snapshot.js';
import type { MapEntry } from '../proc/maps.js';
import { libcName, mallocDebugName } from './libc.js';

const replacements: Array<{ name: AllocatorInfo['allocator']; re: RegExp }> = [
  { name: 'jemalloc', re: /(^|\/)libjemalloc[^/]*\.so/ },
  { name: 'tcmalloc', re: /(^|\/)libtcmalloc[^/]*\.so/ },
  { name: 'mimalloc', re: /(^|\/)libmimalloc[^/]*\.so/ },
  { name: 'musl', re: /(^|\/)(ld-musl-[^/]*\.so|libc\.musl[^/]*\.so)/ },
];

export function mallocCheckActive(env: Record<string, string> | null): boolean {
  if (!env) return false;
  if (env.MALLOC_CHECK_ !== undefined && env.MALLOC_CHECK_ !== '' && env.MALLOC_CHECK_ !== '0') return true;
  const m = /glibc\.malloc\.check=(\d+)/.exec(env.GLIBC_TUNABLES ?? '');
  return Boolean(m && m[1] !== '0');
}

export function detectAllocator(maps: MapEntry[], env: Record<string, string> | null): AllocatorInfo {
  const paths = [...new Set(maps.map((m) => m.path).filter((p) => p.startsWith('/')))];
  for (const r of replacements) {
    const hit = paths.find((p) => r.re.test(p));
    if (hit) return { allocator: r.name, evidence: `${hit} is mapped`, libcPath: paths.find((p) => libcName.test(p)) ?? null, glibcVersion: null };
  }
  const libc = paths.find((p) => libcName.test(p));
  if (!libc) {
    return { allocator: 'static', evidence: 'no shared libc is mapped (static binary or another C library)', libcPath: null, glibcVersion: null };
  }
  const debug = paths.find((p) => mallocDebugName.test(p));
  if (debug && mallocCheckActive(env)) {
    return { allocator: 'glibc-debug', evidence: `${debug} is mapped and MALLOC_CHECK_/glibc.malloc.check is set`, libcPath: libc, glibcVersion: null };
  }
  return { allocator: 'glibc', evidence: `${libc} is mapped`, libcPath: libc, glibcVersion: null };
}
