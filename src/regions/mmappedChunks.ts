// Chunks malloc placed in their own mmap (reference §9): the chunk starts at
// the mapping start (memalign: prev_size = offset from the mapping start), its
// size field has IS_MMAPPED (0x2) and neither PREV_INUSE nor NON_MAIN_ARENA,
// and the mapping length prev_size + chunksize is page-aligned. Adjacent
// anonymous VMAs merge, so one mapping may hold several such chunks: walk them.
import type { MemoryReader } from '../memory/reader.js';

const page = 4096;
const IS_MMAPPED = 0x2;
const FLAG_MASK = 0x7;
/** Bound on chunks walked in one mapping; each is at least a page. */
const maxChunksPerMapping = 65536;

export interface MmappedChunk {
  mapStart: number;
  chunk: number;
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

/** A chunk header at `chunk` that is a valid mmapped chunk whose mapping starts at mapStart and fits below end. */
function validMmapped(prevSize: number, sizeField: number, mapStart: number, end: number): boolean {
  if ((sizeField & FLAG_MASK) !== IS_MMAPPED) return false;
  const size = sizeField & ~FLAG_MASK;
  if (size < page || (prevSize + size) % page !== 0 || prevSize % 16 !== 0) return false;
  return mapStart + prevSize + size <= end;
}

/** Walks mmapped chunks from the start of [start, end); empty when the mapping does not start with one. */
export function findMmappedChunks(reader: MemoryReader, start: number, end: number): MmappedChunk[] {
  const out: MmappedChunk[] = [];
  let mapStart = start;
  while (mapStart < end && out.length < maxChunksPerMapping) {
    const h = readHeader(reader, mapStart);
    if (!h) break;
    // memalign-style: the header sits prev_size bytes into the mapping.
    let chunk = mapStart;
    let sizeField = h.size;
    let prevSize = h.prevSize;
    if (h.prevSize !== 0) {
      if (h.prevSize % 16 !== 0 || mapStart + h.prevSize + 16 > end) break;
      const inner = readHeader(reader, mapStart + h.prevSize);
      if (!inner || inner.prevSize !== h.prevSize) break;
      chunk = mapStart + h.prevSize;
      sizeField = inner.size;
      prevSize = inner.prevSize;
    }
    if (!validMmapped(prevSize, sizeField, mapStart, end)) break;
    const size = sizeField & ~FLAG_MASK;
    out.push({ mapStart, chunk, size });
    mapStart = mapStart + prevSize + size;
  }
  return out;
}
