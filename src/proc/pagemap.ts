// /proc/PID/pagemap: one little-endian u64 per virtual page, at file offset
// (address / pagesize) * 8 (kernel Documentation/admin-guide/mm/pagemap.rst):
// bit 63 present in RAM, 62 swapped, 61 file page or shared anonymous,
// 56 exclusively mapped, 0-54 PFN (zeroed without CAP_SYS_ADMIN). Reads are
// done in bounded batches so a many-GiB range never becomes one huge buffer;
// unmapped pages read as 0.
//
// One trap: a read fault on never-written anonymous memory (the target's own
// read, or another tool's process_vm_readv, which faults through the target's
// mm) maps the shared zero page. pagemap then says "present", but the page is
// not counted in RSS and MADV_DONTNEED frees nothing. Such a page is present,
// neither exclusive nor file-backed; when PFNs are visible (root) we confirm
// it with KPF_ZERO_PAGE (bit 24) of /proc/kpageflags and count it absent.
// Without PFNs it cannot be told from a copy-on-write page shared with a
// fork, and stays counted as resident.
import { closeSync, openSync, readSync } from 'node:fs';
import { ArenascopeError, permissionHint } from '../errors.js';
import { procPath } from './procfs.js';

export const pageSize = 4096;
/** 64 Ki pages (256 MiB of address space, a 512 KiB buffer) per read. */
export const defaultBatchPages = 64 * 1024;
const entryBytes = 8;
/** Bits of the entry's high 32-bit word. */
const hiPresent = 0x80000000; // bit 63
const hiSwapped = 0x40000000; // bit 62
const hiFileOrShared = 0x20000000; // bit 61
const hiExclusive = 0x01000000; // bit 56
const hiPfnMask = 0x007fffff; // bits 32-54
/** KPF_ZERO_PAGE in /proc/kpageflags (include/uapi/linux/kernel-page-flags.h). */
const kpfZeroPage = 1 << 24;
/** Bound on /proc/kpageflags lookups per read (each is one pread). */
const maxZeroLookups = 65536;

export interface AddressRange {
  start: number;
  end: number;
}

export interface ResidencyRange {
  /** Page-aligned. */
  start: number;
  /** Page-aligned, > start. */
  end: number;
  /** Bit i set: page start + i*pageSize is present in RAM. */
  present: Uint8Array;
  /** Bit i set: page is in swap. */
  swapped: Uint8Array;
  /** Pages pagemap showed present that are the shared zero page (not in present). */
  zeroPages: number;
}

export function alignDown(n: number, to = pageSize): number {
  return n - (n % to);
}

export function alignUp(n: number, to = pageSize): number {
  const r = n % to;
  return r === 0 ? n : n + (to - r);
}

function popcount8(b: number): number {
  b = b - ((b >> 1) & 0x55);
  b = (b & 0x33) + ((b >> 2) & 0x33);
  return (b + (b >> 4)) & 0x0f;
}

/** Counts set bits [from, to) of a bitmap. */
export function countBits(bits: Uint8Array, from: number, to: number): number {
  let n = 0;
  let i = from;
  while (i < to && i % 8 !== 0) {
    if (bits[i >> 3]! & (1 << (i & 7))) n++;
    i++;
  }
  while (i + 8 <= to) {
    n += popcount8(bits[i >> 3]!);
    i += 8;
  }
  while (i < to) {
    if (bits[i >> 3]! & (1 << (i & 7))) n++;
    i++;
  }
  return n;
}

/** Page residency of a set of address ranges, as bitmaps. */
export class ResidencyMap {
  readonly pageSize: number;
  readonly ranges: ResidencyRange[];

  constructor(ranges: ResidencyRange[], size = pageSize) {
    this.pageSize = size;
    this.ranges = [...ranges].sort((a, b) => a.start - b.start);
  }

  /** Builds a map from raw pagemap entries (the file's bytes for [start, start + n pages)). */
  static fromEntries(start: number, entries: Buffer, size = pageSize): ResidencyMap {
    return new ResidencyMap([rangeFromEntries(start, entries, size)], size);
  }

  private rangeIndex(addr: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  covers(start: number, end: number): boolean {
    let at = alignDown(start, this.pageSize);
    while (at < end) {
      const i = this.rangeIndex(at);
      if (i < 0) return false;
      at = this.ranges[i]!.end;
    }
    return true;
  }

  isPresent(addr: number): boolean {
    const i = this.rangeIndex(addr);
    if (i < 0) return false;
    const r = this.ranges[i]!;
    const p = Math.floor((addr - r.start) / this.pageSize);
    return (r.present[p >> 3]! & (1 << (p & 7))) !== 0;
  }

  /** Present pages among the whole pages of [start, end) (both rounded outward to pages); pages not covered count as absent. */
  presentPages(start: number, end: number): number {
    return this.count(start, end, 'present');
  }

  swappedPages(start: number, end: number): number {
    return this.count(start, end, 'swapped');
  }

  presentBytes(start: number, end: number): number {
    return this.presentPages(start, end) * this.pageSize;
  }

  private count(start: number, end: number, which: 'present' | 'swapped'): number {
    const ps = this.pageSize;
    let at = alignDown(start, ps);
    const stop = alignUp(end, ps);
    let n = 0;
    while (at < stop) {
      const i = this.rangeIndex(at);
      if (i < 0) {
        // Skip to the next covered range.
        const next = this.ranges.find((r) => r.start > at);
        if (!next) break;
        at = next.start;
        continue;
      }
      const r = this.ranges[i]!;
      const to = Math.min(stop, r.end);
      n += countBits(r[which], (at - r.start) / ps, (to - r.start) / ps);
      at = to;
    }
    return n;
  }

  /** Total present pages over every range. */
  totalPresentPages(): number {
    return this.ranges.reduce((s, r) => s + countBits(r.present, 0, (r.end - r.start) / this.pageSize), 0);
  }

  /** Zero-page mappings found (and left out of present). */
  totalZeroPages(): number {
    return this.ranges.reduce((s, r) => s + r.zeroPages, 0);
  }
}

/** Tells whether a PFN is the zero page, through /proc/kpageflags (root only); caches answers. */
export class ZeroPageOracle {
  private fd: number | null | undefined;
  private readonly known = new Map<number, boolean>();
  private readonly buf = Buffer.alloc(8);
  lookups = 0;

  constructor(private readonly path = '/proc/kpageflags') {}

  /** true / false, or null when kpageflags is unreadable or the lookup budget is spent. */
  isZero(pfn: number): boolean | null {
    const cached = this.known.get(pfn);
    if (cached !== undefined) return cached;
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        this.fd = null;
      }
    }
    if (this.fd === null || this.lookups >= maxZeroLookups) return null;
    this.lookups++;
    let zero: boolean;
    try {
      zero = readSync(this.fd, this.buf, 0, 8, pfn * 8) === 8 && (this.buf.readUInt32LE(0) & kpfZeroPage) !== 0;
    } catch {
      return null;
    }
    this.known.set(pfn, zero);
    return zero;
  }

  close(): void {
    if (typeof this.fd === 'number') closeSync(this.fd);
    this.fd = null;
  }
}

function rangeFromEntries(start: number, entries: Buffer, size: number): ResidencyRange {
  const pages = Math.floor(entries.length / entryBytes);
  const present = new Uint8Array(Math.ceil(pages / 8));
  const swapped = new Uint8Array(Math.ceil(pages / 8));
  const zeroPages = fillBits(entries, 0, pages, present, swapped, null);
  return { start, end: start + pages * size, present, swapped, zeroPages };
}

/** Sets bits [firstPage, firstPage + n) from n raw entries; returns how many present entries were the zero page. */
function fillBits(entries: Buffer, firstPage: number, n: number, present: Uint8Array, swapped: Uint8Array, zero: ZeroPageOracle | null): number {
  let zeroPages = 0;
  for (let i = 0; i < n; i++) {
    const hi = entries.readUInt32LE(i * entryBytes + 4);
    const p = firstPage + i;
    if (hi & hiSwapped) swapped[p >> 3]! |= 1 << (p & 7);
    if (!(hi & hiPresent)) continue;
    if (zero && !(hi & (hiExclusive | hiFileOrShared))) {
      const pfn = entries.readUInt32LE(i * entryBytes) + (hi & hiPfnMask) * 2 ** 32;
      if (pfn !== 0 && zero.isZero(pfn) === true) {
        zeroPages++;
        continue;
      }
    }
    present[p >> 3]! |= 1 << (p & 7);
  }
  return zeroPages;
}

/** Sorts, aligns to pages and merges overlapping or touching ranges. */
export function normalizeRanges(ranges: AddressRange[], size = pageSize): AddressRange[] {
  const aligned = ranges
    .map((r) => ({ start: alignDown(r.start, size), end: alignUp(r.end, size) }))
    .filter((r) => r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const out: AddressRange[] = [];
  for (const r of aligned) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

export interface PagemapReadOptions {
  batchPages?: number;
  /** Leave zero-page mappings out of present (default true; needs visible PFNs and /proc/kpageflags). */
  dropZeroPages?: boolean;
}

function openPagemap(pid: number): number {
  try {
    return openSync(procPath(pid, 'pagemap'), 'r');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ESRCH') throw new ArenascopeError('ESRCH', `no process with pid ${pid} (it may have exited)`, 3);
    if (code === 'EACCES' || code === 'EPERM') throw new ArenascopeError('EPERM', `no permission to read pagemap of pid ${pid}: ${permissionHint}`, 1);
    throw new ArenascopeError('EIO', `cannot open pagemap of pid ${pid}: ${(err as Error).message}`);
  }
}

/** Reads residency of the given address ranges of a live process. */
export function readResidency(pid: number, ranges: AddressRange[], options: PagemapReadOptions = {}): ResidencyMap {
  const batchPages = Math.max(1, Math.floor(options.batchPages ?? defaultBatchPages));
  const merged = normalizeRanges(ranges);
  const fd = openPagemap(pid);
  const buf = Buffer.alloc(batchPages * entryBytes);
  const out: ResidencyRange[] = [];
  const zero = options.dropZeroPages === false ? null : new ZeroPageOracle();
  try {
    for (const r of merged) {
      const pages = (r.end - r.start) / pageSize;
      const present = new Uint8Array(Math.ceil(pages / 8));
      const swapped = new Uint8Array(Math.ceil(pages / 8));
      let zeroPages = 0;
      for (let done = 0; done < pages; ) {
        const n = Math.min(batchPages, pages - done);
        const offset = (r.start / pageSize + done) * entryBytes;
        let got: number;
        try {
          got = readSync(fd, buf, 0, n * entryBytes, offset);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === 'ESRCH') throw new ArenascopeError('ESRCH', `process ${pid} exited while its pagemap was read`, 3);
          throw new ArenascopeError('EIO', `reading pagemap of pid ${pid}: ${(err as Error).message}`);
        }
        const entries = Math.floor(got / entryBytes);
        zeroPages += fillBits(buf, done, entries, present, swapped, zero);
        // A short read (address beyond the task size) leaves the rest absent.
        if (entries < n) break;
        done += n;
      }
      out.push({ start: r.start, end: r.end, present, swapped, zeroPages });
    }
  } finally {
    closeSync(fd);
    zero?.close();
  }
  return new ResidencyMap(out);
}
