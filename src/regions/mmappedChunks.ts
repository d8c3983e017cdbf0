// Chunks malloc placed in their own mmap (malloc.c sysmalloc_mmap, munmap_chunk): the chunk starts at
// the mapping start (memalign: prev_size = offset from the mapping start), its
// size field has IS_MMAPPED (0x2) and neither PREV_INUSE nor NON_MAIN_ARENA,
// and its mapping is page-aligned: [chunk - offset, chunk + chunksize) up to
// glibc 2.42, [chunk - offset, chunk + chunksize + CHUNK_HDR_SZ) from 2.43
// (malloc.c mmap_set_chunk / mmap_size(), commit "malloc: Change mmap chunk
// layout"; prev_size then also carries MMAP_HP in bit 0). A header fits at most
// one of the two (chunk sizes are multiples of 16), so the map of a process
// whose glibc is not known yet is read with both. Adjacent anonymous VMAs
// merge, so one mapping may hold several such chunks: walk them. (A chunk
// mapped right after some other anonymous mapping merges into the end of its
// VMA, where no header can be found from the start: not counted. One right
// below an arena heap is found by classify.ts.)
import type { MemoryReader } from '../memory/reader.js';

const page = 4096;
const IS_MMAPPED = 0x2;
const FLAG_MASK = 0x7;
/** MMAP_HP (2.43+): prev_size bit 0 of an mmapped chunk on huge pages. */
const MMAP_HP = 0x1;
/** Bytes of a mapping after chunk + chunksize: 0 up to glibc 2.42, CHUNK_HDR_SZ from 2.43 (layouts.ts mmappedChunkTail). */
export const mmappedTrailers: readonly number[] = [0, 16];
/** Bound on chunks walked in one mapping; each is at least a page. */
const maxChunksPerMapping = 65536;

export interface MmappedChunk {
  mapStart: number;
  chunk: number;
  /** Length of its mapping (what munmap releases and mp_.mmapped_mem counts). */
  size: number;
}

function readHeader(reader: MemoryReader, at: number): { prevSize: number; size: number } | null {
  const b = reader.readExact(at, 16);
  if (!b) return null;
  const prev = b.readBigUInt64LE(0);
  const size = b.readBigUInt64LE(8);
  if (prev > 0xffffffffffn || size > 0xffffffffffn) return null;
  return { prevSize: Number(prev), size: Number(size) };
}

/**
 * The mapping length of a valid mmapped chunk header whose mapping starts at
 * mapStart and ends by end, under one of the trailers; null when it is none.
 */
function mappingLength(prevSize: number, sizeField: number, mapStart: number, end: number, trailers: readonly number[]): number | null {
  if ((sizeField & FLAG_MASK) !== IS_MMAPPED) return null;
  const size = sizeField - IS_MMAPPED;
  for (const trailer of trailers) {
    const offset = trailer > 0 ? prevSize - (prevSize & MMAP_HP) : prevSize;
    const length = offset + size + trailer;
    if (size < page - trailer || offset % 16 !== 0 || length % page !== 0) continue;
    if (mapStart + length <= end) return length;
  }
  return null;
}

/** Walks mmapped chunks from the start of [start, end); empty when the mapping does not start with one. */
export function findMmappedChunks(reader: MemoryReader, start: number, end: number, trailers: readonly number[] = mmappedTrailers): MmappedChunk[] {
  const out: MmappedChunk[] = [];
  let mapStart = start;
  while (mapStart < end && out.length < maxChunksPerMapping) {
    const h = readHeader(reader, mapStart);
    if (!h) break;
    // memalign-style: the header sits prev_size bytes into the mapping (2.43+: less MMAP_HP).
    let chunk = mapStart;
    let sizeField = h.size;
    let prevSize = h.prevSize;
    const offset = h.prevSize - (h.prevSize & MMAP_HP);
    if (offset !== 0) {
      if (offset % 16 !== 0 || mapStart + offset + 16 > end) break;
      const inner = readHeader(reader, mapStart + offset);
      if (!inner || inner.prevSize !== h.prevSize) break;
      chunk = mapStart + offset;
      sizeField = inner.size;
      prevSize = inner.prevSize;
    }
    const length = mappingLength(prevSize, sizeField, mapStart, end, trailers);
    if (length === null) break;
    out.push({ mapStart, chunk, size: length });
    mapStart += length;
  }
  return out;
}
