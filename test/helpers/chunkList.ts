// Reading what the walker streams and maps about chunks, for tests: the NDJSON
// listing (options.listChunks) and the chunk map (options.chunkMap, 2 bits
// per 16-byte granule: native/ptmalloc/chunk_map.h).
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NativeChunkMap } from '../../src/native/native.js';

export interface ListedChunk {
  arena: number;
  start: number;
  size: number;
  state: string;
}

/** Runs walk(fd) with a temp file open for the listing, and returns what was listed. */
export async function withChunkListing<T>(walk: (fd: number) => Promise<T>): Promise<{ result: T; chunks: ListedChunk[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'arenascope-list-'));
  try {
    const file = join(dir, 'chunks.ndjson');
    const fd = openSync(file, 'w');
    let result: T;
    try {
      result = await walk(fd);
    } finally {
      closeSync(fd);
    }
    const text = readFileSync(file, 'utf8').trim();
    const chunks = text
      ? text.split('\n').map((l) => {
          const j = JSON.parse(l) as { arena: string; address: string; size: number; state: string };
          return { arena: parseInt(j.arena, 16), start: parseInt(j.address, 16), size: j.size, state: j.state };
        })
      : [];
    return { result, chunks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const chunkMark = { none: 0, live: 1, free: 2, other: 3 } as const;

/** The chunk map's mark at address (which must start a granule of a span); null outside every span. */
export function markAt(map: NativeChunkMap, address: number): number | null {
  let word = 0;
  for (const s of map.spans) {
    // The walker names where each span's words start; without firstWord they lie end to end.
    const first = s.firstWord ?? word;
    if (address >= s.start && address < s.end) {
      const g = Math.floor((address - s.start) / 16);
      // Past the span's words (after its last mark) nothing is marked.
      if (Math.floor(g / 32) >= s.words) return chunkMark.none;
      const w = map.bits.readBigUInt64LE((first + Math.floor(g / 32)) * 8);
      return Number((w >> BigInt((g % 32) * 2)) & 3n);
    }
    word = first + s.words;
  }
  return null;
}
