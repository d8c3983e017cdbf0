// Struct layouts of glibc malloc by version, x86-64: a typed view of
// layouts.json, the one table (scripts/gen-layouts.mjs writes it from each
// Debian libc6-dbg's DWARF; the tests' C++ copy, native/ptmalloc/layouts_table.h,
// comes from the same rows). The version only picks the first guess; locate.ts
// confirms it with memory invariants and tries the neighbours when it fails
// (distributions backport malloc patches). Field names match the C++
// MallocLayout (native/ptmalloc/malloc_layout.h); -1 = absent.
import table from './layouts.json' with { type: 'json' };
import { defaultHeapMax } from '../regions/heapInfo.js';

export interface MallocLayout {
  name: string;
  // struct malloc_state: its size and each member's offset.
  stateSize: number;
  offFlags: number;
  offHaveFastchunks: number;
  offFastbins: number;
  /** NFASTBINS (10); 0 from 2.43, which has no fastbins. */
  nFastbins: number;
  offTop: number;
  offLastRemainder: number;
  offBins: number;
  offBinmap: number;
  offNext: number;
  offNextFree: number;
  offAttachedThreads: number;
  offSystemMem: number;
  offMaxSystemMem: number;
  // heap_info (struct _heap_info).
  heapInfoSize: number;
  heapInfoHasPagesize: number;
  /** heap_max = this * mp_.hp_pagesize when hp_pagesize != 0 (arena.c heap_max_size(), 2.35-2.41: 4); 0: always HEAP_MAX_SIZE. */
  heapMaxHpFactor: number;
  // struct malloc_par mp_: its size and each member's offset.
  mpSize: number;
  mpTrimThreshold: number;
  mpTopPad: number;
  mpMmapThreshold: number;
  mpArenaTest: number;
  mpArenaMax: number;
  /** thp_mode (a 4-byte enum, 2.43+). */
  mpThpMode: number;
  mpThpPagesize: number;
  mpHpPagesize: number;
  mpHpFlags: number;
  mpNMmaps: number;
  mpNMmapsMax: number;
  mpMaxNMmaps: number;
  mpNoDynThreshold: number;
  mpMmappedMem: number;
  mpMaxMmappedMem: number;
  mpMaxTotalMem: number;
  mpSbrkBase: number;
  /** tcache_bins (tcache_small_bins from 2.42). */
  mpTcacheBins: number;
  mpTcacheMaxBytes: number;
  mpTcacheCount: number;
  /** Absent before 2.26 and again from 2.44. */
  mpTcacheUnsortedLimit: number;
  // mp_'s initial values (its static initializer in malloc.c); every other member starts at 0.
  mpDefaultTrimThreshold: number;
  mpDefaultTopPad: number;
  mpDefaultMmapThreshold: number;
  mpDefaultArenaTest: number;
  mpDefaultNMmapsMax: number;
  /** 2.43: 3 (malloc_thp_mode_not_supported); 2.44: 0. */
  mpDefaultThpMode: number;
  mpDefaultTcacheBins: number;
  /** 1032 (tidx2usize (63)); 0x411 from 2.43. */
  mpDefaultTcacheMaxBytes: number;
  /** TCACHE_FILL_COUNT: 7; 16 from 2.43. */
  mpDefaultTcacheCount: number;
  // tcache_perthread_struct and tcache_entry; 0 throughout where there is no tcache.
  tcacheBins: number;
  tcacheCountWidth: number;
  tcacheEntriesOffset: number;
  tcacheChunkSize: number;
  /** The counters are free slots (num_slots, 2.42+), not cached chunks. */
  tcacheCountsAreFreeSlots: number;
  tcacheHasKey: number;
  /** PROTECT_PTR on tcache next and fastbin fd (2.32+). */
  safeLinking: number;
  /** malloc_state.flags bit 0 set means NO fast chunks (up to 2.26). */
  fastchunksFlagInverted: number;
  /** Bytes an mmapped chunk's mapping runs past chunk + chunksize: 16 from 2.43 (mmap_set_chunk), else 0. */
  mmappedChunkTail: number;
  /** 1 when free() may put an mmapped chunk in a tcache bin (2.43+; up to 2.42 __libc_free munmapped them first). */
  tcacheHoldsMmapped: number;
}

type LayoutFields = Omit<MallocLayout, 'name'>;

// The interface above and the JSON's rows must have the same fields: a field
// added on one side only fails the type check here.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const jsonMatchesInterface: SameKeys<(typeof table.rows)[number]['layout'], LayoutFields> = true;
void jsonMatchesInterface;

/** One row of layouts.json: the releases 2.<from>..2.<to> and where their layout came from. */
export interface LayoutRow {
  from: number;
  to: number;
  /** "dwarf:<Debian package version>" (generated from that libc6-dbg) or "source-derived". */
  source: string;
  layout: LayoutFields;
}

function minorOf(version: string): number {
  const m = /^2\.(\d+)$/.exec(version);
  if (!m) throw new Error(`layouts.json: not a glibc 2.x version: ${version}`);
  return Number(m[1]);
}

/**
 * ARENASCOPE_LAYOUT_TABLE_UPTO=2.NN ends the table at release 2.NN, as if the
 * rows after it did not exist yet: how the tests run a glibc newer than the
 * table (inferredLayout) on a release whose true row they know.
 */
function tableEnd(): number {
  const v = process.env.ARENASCOPE_LAYOUT_TABLE_UPTO;
  if (!v) return Infinity;
  const m = /^2\.(\d+)$/.exec(v);
  if (!m) throw new Error(`ARENASCOPE_LAYOUT_TABLE_UPTO: not a glibc 2.x version: ${v}`);
  return Number(m[1]);
}

/** Every row of the table, oldest first. */
export const layoutRows: LayoutRow[] = table.rows
  .map((r) => ({ from: minorOf(r.from), to: minorOf(r.to), source: r.source, layout: r.layout }))
  .filter((r) => r.from <= tableEnd())
  .map((r) => ({ ...r, to: Math.min(r.to, tableEnd()) }));

interface VersionRange {
  from: number; // minor version, inclusive
  to: number; // inclusive
  layout: MallocLayout;
}

/** Equal in every field of the row (a layout's name aside). */
const sameLayout = (a: LayoutFields, row: LayoutFields) => (Object.keys(row) as Array<keyof LayoutFields>).every((k) => a[k] === row[k]);

/**
 * The rows with neighbours of identical layout joined (2.35 from source, 2.36 and
 * 2.41 from DWARF, 2.37-2.40 from source: "2.35-2.41"), so that a version's
 * neighbours in layoutCandidates() are layouts that differ from its own.
 */
export const layoutTable: VersionRange[] = [];
for (const row of layoutRows) {
  const last = layoutTable.at(-1);
  if (last && last.to + 1 === row.from && sameLayout(last.layout, row.layout)) last.to = row.to;
  else layoutTable.push({ from: row.from, to: row.to, layout: { name: '', ...row.layout } });
}
for (const r of layoutTable) r.layout.name = r.from === r.to ? `2.${r.from}` : `2.${r.from}-2.${r.to}`;

/** Layouts to try for a version, the version's own first, then its neighbours. */
export function layoutCandidates(minor: number): MallocLayout[] {
  if (minor < layoutTable[0]!.from) return [];
  if (isNewerThanTable(minor)) {
    const newest = layoutTable.length - 1;
    return [inferredLayout(layoutTable[newest]!.layout, minor), ...[newest, newest - 1].filter((i) => i >= 0).map((i) => layoutTable[i]!.layout)];
  }
  const idx = layoutTable.findIndex((r) => minor >= r.from && minor <= r.to);
  const order = [idx, idx - 1, idx + 1, idx - 2, idx + 2].filter((i) => i >= 0 && i < layoutTable.length);
  return order.map((i) => layoutTable[i]!.layout);
}

/** A release the table has no row for yet (glibc releases every six months). */
export function isNewerThanTable(minor: number): boolean {
  return minor > layoutTable.at(-1)!.to;
}

/** mp_ members past tcache_count: an inferred layout reads none of them. */
const mpTailFields = ['mpTcacheUnsortedLimit'] as const;

/**
 * The layout of a release newer than the table, inferred from the newest row.
 * malloc_state and the tcache struct are taken as they are: locate.ts confirms
 * the state by memory invariants (the self-pointing empty bins, the next ring,
 * top inside a heap) and the walk finds tcaches by their chunk size. mp_'s
 * tail is where releases have added and dropped members (max_total_mem went
 * in 2.24, the tcache members came in 2.26, thp_mode in 2.43,
 * tcache_unsorted_limit left in 2.44), so the inferred mp_ ends at
 * tcache_count: a member past it is not read, and its pattern does not ask
 * for one.
 */
export function inferredLayout(newest: MallocLayout, minor: number): MallocLayout {
  const l: MallocLayout = { ...newest, name: `2.${minor} (inferred from ${newest.name})` };
  for (const f of mpTailFields) l[f] = -1;
  if (l.mpTcacheCount >= 0) l.mpSize = l.mpTcacheCount + 8;
  return l;
}

/** Without tcache (glibc's malloc-debug DSO is built with USE_TCACHE=0): same state, tcache fields absent. */
export function withoutTcache(l: MallocLayout): MallocLayout {
  const noTcache = { tcacheBins: 0, tcacheCountWidth: 0, tcacheEntriesOffset: 0, tcacheChunkSize: 0, tcacheCountsAreFreeSlots: 0, tcacheHasKey: 0 };
  return { ...l, ...noTcache, name: `${l.name} (no tcache)` };
}

/**
 * mp_'s initializer (malloc.c `static struct malloc_par mp_ = {...}`): the
 * pattern that finds mp_ in libc's file image. Three tail defaults are not
 * one value per release, so they are variable fields that accept every value
 * a build of a nearby release may hold: tcache_max_bytes 1032 (tidx2usize(63)
 * up to the glibc-2.42 tag) or 0x411 (MAX_TCACHE_SMALL_SIZE + 1 from 2.43,
 * commit ad4caba414, backported to 2.42 builds); tcache_count 7 or 16
 * (TCACHE_FILL_COUNT, 16 from 2.43); thp_mode 3 (2.43's
 * malloc_thp_mode_not_supported) or 0 (2.44's thp_mode_unknown). The row's own
 * default is always among them, so a table row and a newer, inferred glibc are
 * found the same way.
 */
export interface MpInitializer {
  /** The fixed bytes; the variable fields are zero here. */
  image: Buffer;
  variable: Array<{ off: number; width: 4 | 8; values: readonly number[] }>;
}

export function mpInitializer(l: MallocLayout): MpInitializer {
  const image = Buffer.alloc(l.mpSize);
  const variable: MpInitializer['variable'] = [];
  const put = (off: number, v: number, width: 4 | 8 = 8) => {
    if (off < 0 || v < 0) return;
    if (width === 8) image.writeBigUInt64LE(BigInt(v), off);
    else image.writeUInt32LE(v, off);
  };
  const vary = (off: number, own: number, others: number[], width: 4 | 8 = 8) => {
    if (off < 0 || own < 0) return;
    variable.push({ off, width, values: [...new Set([own, ...others])] });
  };
  put(l.mpTrimThreshold, l.mpDefaultTrimThreshold);
  put(l.mpTopPad, l.mpDefaultTopPad);
  put(l.mpMmapThreshold, l.mpDefaultMmapThreshold);
  put(l.mpArenaTest, l.mpDefaultArenaTest);
  put(l.mpNMmapsMax, l.mpDefaultNMmapsMax, 4);
  put(l.mpTcacheBins, l.mpDefaultTcacheBins);
  vary(l.mpTcacheMaxBytes, l.mpDefaultTcacheMaxBytes, [1032, 0x411]);
  vary(l.mpTcacheCount, l.mpDefaultTcacheCount, [7, 16]);
  vary(l.mpThpMode, l.mpDefaultThpMode, [0, 3], 4);
  return { image, variable };
}

/** Whether the mpSize bytes at buf[at] are mp_'s initializer (mpInitializer). */
export function matchesMpInitializer(p: MpInitializer, buf: Buffer, at: number): boolean {
  if (at < 0 || at + p.image.length > buf.length) return false;
  const isVariable = (i: number) => p.variable.some((v) => i >= v.off && i < v.off + v.width);
  for (let i = 0; i < p.image.length; i++) {
    if (buf[at + i] !== p.image[i] && !isVariable(i)) return false;
  }
  return p.variable.every((v) => v.values.includes(v.width === 8 ? Number(buf.readBigUInt64LE(at + v.off)) : buf.readUInt32LE(at + v.off)));
}

/**
 * heap_max of non-main arenas given mp_.hp_pagesize: the layout's factor times
 * hp_pagesize where the version derives it from huge pages and they are on,
 * else HEAP_MAX_SIZE. native/ptmalloc/malloc_layout.cc heapMaxFor() is the same rule.
 */
export function heapMaxFor(l: MallocLayout, hpPagesize: number): number {
  return l.heapMaxHpFactor > 0 && hpPagesize > 0 ? l.heapMaxHpFactor * hpPagesize : defaultHeapMax;
}

/** The layout as the addon takes it: its numeric fields (src/native/native.d.ts MallocLayout). */
export function layoutForNative(l: MallocLayout): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(l)) if (typeof v === 'number') out[k] = v;
  return out;
}
