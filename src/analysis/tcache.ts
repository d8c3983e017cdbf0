// The per-thread caches (tcache, glibc 2.26+): every tcache_perthread_struct the
// walk found, the arena it lives in and the free chunks it holds, with the fill
// count in effect (mp_.tcache_count) beside glibc's default for the version. A
// thread's free() puts a chunk of a tcache size in its own tcache while the bin
// has room (malloc.c tcache_put); only that thread's malloc takes it back, and
// malloc_trim never touches it (mtrim walks the bins).
import { layoutCandidates, layoutRows } from '../glibc/layouts.js';
import type { MallocSnapshot } from '../model/snapshot.js';

export interface TcacheRow {
  /** The tcache_perthread_struct (user pointer): one per thread that has used malloc. */
  address: number;
  /** The arena whose heap holds the struct. */
  arena: number;
  /** That arena is main_arena. */
  mainArena: boolean;
  chunks: number;
  bytes: number;
}

export interface TcacheSummary {
  /** mp_.tcache_count: the most chunks a thread keeps per size; null when mp_ was not read. */
  count: number | null;
  /** glibc's default for the version (TCACHE_FILL_COUNT: 16 from 2.43, 7 before), from the layout table. */
  defaultCount: number | null;
  /** The default the releases before this one's had, and the first release with this one's ("7 before 2.43"); null when it never changed. */
  previousDefault: { count: number; changedIn: string } | null;
  /** tcache_perthread_structs found. */
  structs: number;
  chunks: number;
  bytes: number;
  perThread: TcacheRow[];
}

/** The minor number of a "2.NN" version text, or null. */
export function glibcMinor(version: string | null): number | null {
  const m = version ? /^2\.(\d+)/.exec(version) : null;
  return m ? Number(m[1]) : null;
}

/** A table row's default fill count; -1 (no tcache) is null. */
const fillCount = (n: number): number | null => (n > 0 ? n : null);

/** glibc's default mp_.tcache_count for a release, and the one before it changed (layouts.json mpDefaultTcacheCount). */
export function tcacheDefaults(minor: number): { defaultCount: number | null; previousDefault: TcacheSummary['previousDefault'] } {
  const own = layoutCandidates(minor)[0];
  const defaultCount = own ? fillCount(own.mpDefaultTcacheCount) : null;
  if (defaultCount === null) return { defaultCount, previousDefault: null };
  // Walk back from the release's row to where its default began.
  const rows = layoutRows.filter((r) => r.from <= minor);
  let i = rows.length - 1;
  while (i > 0 && rows[i - 1]!.layout.mpDefaultTcacheCount === defaultCount) i--;
  const before = i > 0 ? fillCount(rows[i - 1]!.layout.mpDefaultTcacheCount) : null;
  return { defaultCount, previousDefault: before === null ? null : { count: before, changedIn: `2.${rows[i]!.from}` } };
}

/** null when the glibc has no tcache (before 2.26) and the walk found none. */
export function tcacheSummary(malloc: MallocSnapshot): TcacheSummary | null {
  const perThread: TcacheRow[] = malloc.arenas.flatMap((a) => (a.tcaches ?? []).map((t) => ({ address: t.address, arena: a.address, mainArena: a.main, chunks: t.chunks, bytes: t.bytes })));
  const minor = glibcMinor(malloc.glibcVersion);
  const defaults = minor === null ? { defaultCount: null, previousDefault: null } : tcacheDefaults(minor);
  const count = malloc.params?.tcacheCount ?? null;
  if (count === null && defaults.defaultCount === null && perThread.length === 0) return null;
  return {
    count,
    ...defaults,
    structs: perThread.length,
    chunks: perThread.reduce((s, t) => s + t.chunks, 0),
    bytes: perThread.reduce((s, t) => s + t.bytes, 0),
    perThread,
  };
}
