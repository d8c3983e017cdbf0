// Residency per arena, as the arena walk joined it with pagemap page by page
// (native/ptmalloc/residency.h has the rules: page classes, and what
// malloc_trim(0) would give back through mtrim and systrim). Here: the
// per-arena rows the report and the advice read, and their totals.
import type { AddressRange } from '../proc/pagemap.js';
import type { MallocSnapshot } from '../model/snapshot.js';

export interface ArenaLayout {
  /** The arena's index in the walk (the order of MallocSnapshot.arenas). */
  index: number;
  address: number;
  main: boolean;
  /** Where the arena's heaps can be resident: [base, base + mprotect_size) of each heap; the brk heap for main. */
  ranges: AddressRange[];
  /** Address space reserved for the arena's heaps. */
  reserved: number;
  /** Main arena: the top chunk ends at the program break, so systrim can shrink it. */
  topEndsAtBreak: boolean;
}

export interface Reclaimable {
  /** Resident bytes in bin chunks that mtrim would MADV_DONTNEED. */
  bins: number;
  /** Resident bytes systrim would cut off the main arena's top. */
  top: number;
  total: number;
  /** Free chunks (after consolidation) that would release at least one resident page. */
  chunks: number;
}

export interface ArenaResidency {
  index: number;
  address: number;
  main: boolean;
  reserved: number;
  resident: number;
  untouchedReserve: number;
  inUseResident: number;
  freeResident: number;
  overheadResident: number;
  /** Resident pages wholly inside the top chunk (part of freeResident). */
  topResident: number;
  swapped: number;
  topSize: number;
  /** Free chunks other than top (bins, fastbins, tcache, unlisted); residentBytes counts bytes lying on resident pages. */
  freeChunks: { count: number; bytes: number; residentBytes: number };
  /** Free chunks too small to contain a page beyond their 0x30-byte header: malloc_trim can never release them. */
  smallFreeChunks: { count: number; bytes: number };
  reclaimable: Reclaimable;
  /** The same estimate without fastbin consolidation (a lower bound for versions that consolidate). */
  reclaimableWithoutConsolidation: Reclaimable;
}

/** The walk's residency as report rows; null when the walk had none for some arena (pagemap unreadable, or not asked). */
export function residencyRows(malloc: MallocSnapshot): ArenaResidency[] | null {
  const rows: ArenaResidency[] = [];
  for (const [index, a] of malloc.arenas.entries()) {
    const r = a.residency;
    if (!r) return null;
    const reserved = a.heaps.reduce((s, h) => s + h.reserved, 0);
    rows.push({
      index,
      address: a.address,
      main: a.main,
      reserved,
      resident: r.resident,
      untouchedReserve: Math.max(0, reserved - r.resident),
      inUseResident: r.inUse,
      freeResident: r.free,
      overheadResident: r.overhead,
      topResident: r.top,
      swapped: r.swapped,
      topSize: a.top.size,
      freeChunks: r.freeChunks,
      smallFreeChunks: r.smallFreeChunks,
      reclaimable: r.reclaimable,
      reclaimableWithoutConsolidation: r.reclaimableWithoutConsolidation,
    });
  }
  return rows;
}

export interface ResidencyTotals {
  reserved: number;
  resident: number;
  inUse: number;
  freeResident: number;
  overhead: number;
  reclaimable: number;
  untouchedReserve: number;
  freeChunkBytes: number;
  freeChunkResidentBytes: number;
  smallFreeChunks: number;
  smallFreeBytes: number;
}

export function sumResidency(rows: ArenaResidency[]): ResidencyTotals {
  const t: ResidencyTotals = {
    reserved: 0,
    resident: 0,
    inUse: 0,
    freeResident: 0,
    overhead: 0,
    reclaimable: 0,
    untouchedReserve: 0,
    freeChunkBytes: 0,
    freeChunkResidentBytes: 0,
    smallFreeChunks: 0,
    smallFreeBytes: 0,
  };
  for (const r of rows) {
    t.reserved += r.reserved;
    t.resident += r.resident;
    t.inUse += r.inUseResident;
    t.freeResident += r.freeResident;
    t.overhead += r.overheadResident;
    t.reclaimable += r.reclaimable.total;
    t.untouchedReserve += r.untouchedReserve;
    t.freeChunkBytes += r.freeChunks.bytes;
    t.freeChunkResidentBytes += r.freeChunks.residentBytes;
    t.smallFreeChunks += r.smallFreeChunks.count;
    t.smallFreeBytes += r.smallFreeChunks.bytes;
  }
  return t;
}
