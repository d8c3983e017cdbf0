// The packed chunk table the arena engine hands over (one record per chunk of
// every arena heap, sorted by start), so the JS side never makes a call per
// chunk across N-API. Record, little-endian, 24 bytes:
//   +0  u64 start       chunk header address
//   +8  u64 size        chunk size (flag bits cleared)
//   +16 u32 arenaIndex  index into MallocSnapshot.arenas
//   +20 u8  state       ChunkState
//   +21 3 bytes padding
import { ArenascopeError } from '../../src/errors.js';

export const chunkRecordSize = 24;

export const ChunkState = {
  inUse: 0,
  /** In the unsorted, small or large bins. */
  freeInBin: 1,
  fastbin: 2,
  tcache: 3,
  top: 4,
  /** glibc's own chunks (tcache_perthread_struct). */
  internal: 5,
  /** Free by the next chunk's PREV_INUSE but on no free list (an anomaly, or caught mid-update). */
  freeUnlisted: 6,
} as const;
export type ChunkStateValue = (typeof ChunkState)[keyof typeof ChunkState];

export interface ChunkRecord {
  start: number;
  size: number;
  arenaIndex: number;
  state: ChunkStateValue;
}

const two32 = 2 ** 32;

function readU64(buf: Buffer, at: number): number {
  // Two u32 halves: addresses and sizes are < 2^53 (user space < 2^47).
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * two32;
}

export function chunkCount(table: Buffer): number {
  return Math.floor(table.length / chunkRecordSize);
}

export function chunkStart(table: Buffer, i: number): number {
  return readU64(table, i * chunkRecordSize);
}

export function chunkSize(table: Buffer, i: number): number {
  return readU64(table, i * chunkRecordSize + 8);
}

export function chunkArena(table: Buffer, i: number): number {
  return table.readUInt32LE(i * chunkRecordSize + 16);
}

export function chunkState(table: Buffer, i: number): number {
  return table[i * chunkRecordSize + 20]!;
}

export function readChunk(table: Buffer, i: number): ChunkRecord {
  return { start: chunkStart(table, i), size: chunkSize(table, i), arenaIndex: chunkArena(table, i), state: chunkState(table, i) as ChunkStateValue };
}

/** Throws EINVAL unless the buffer is a whole number of records, sorted by start, with known states. */
export function validateChunkTable(table: Buffer): void {
  if (table.length % chunkRecordSize !== 0) {
    throw new ArenascopeError('EINVAL', `chunk table length ${table.length} is not a multiple of ${chunkRecordSize}`);
  }
  let prev = -1;
  const n = chunkCount(table);
  for (let i = 0; i < n; i++) {
    const s = chunkStart(table, i);
    if (s < prev) throw new ArenascopeError('EINVAL', `chunk table is not sorted at record ${i}`);
    if (chunkState(table, i) > ChunkState.freeUnlisted) throw new ArenascopeError('EINVAL', `chunk table record ${i} has unknown state ${chunkState(table, i)}`);
    prev = s;
  }
}

/** Packs records (sorting them by start) into the engine's table format. */
export function encodeChunkTable(records: ChunkRecord[]): Buffer {
  const sorted = [...records].sort((a, b) => a.start - b.start);
  const buf = Buffer.alloc(sorted.length * chunkRecordSize);
  sorted.forEach((r, i) => {
    const at = i * chunkRecordSize;
    buf.writeUInt32LE(r.start % two32, at);
    buf.writeUInt32LE(Math.floor(r.start / two32), at + 4);
    buf.writeUInt32LE(r.size % two32, at + 8);
    buf.writeUInt32LE(Math.floor(r.size / two32), at + 12);
    buf.writeUInt32LE(r.arenaIndex, at + 16);
    buf[at + 20] = r.state;
  });
  return buf;
}
