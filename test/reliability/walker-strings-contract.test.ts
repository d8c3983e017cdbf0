// The walker's chunk table feeds the string scanner. Every state the walker
// writes must be one the scanner accepts: a walk of a busy, unfrozen target
// finds chunks free by their neighbour's PREV_INUSE bit but on no list yet
// (state 6, free-unlisted), and the scanner used to refuse the whole table
// ("chunkTable record N has unknown state 6"): `strings` failed on any busy
// process and the TUI's Strings view with it.
import { describe, expect, it } from 'vitest';
import { imageSource, packChunkTable, scan } from '../native/strings-helpers.js';

const freeUnlisted = 6; // native/ptmalloc/walk_types.h kStateFreeUnlisted

describe('chunk states from the walker in the string scanner', () => {
  const H = 0x7f3400001000;
  const heap = Buffer.alloc(0x400);
  const chunks = [
    { off: 0x000, size: 0x100, state: 0, text: 'in-use-chunk-text' },
    { off: 0x100, size: 0x100, state: freeUnlisted, text: 'being-freed-chunk-text' },
    { off: 0x200, size: 0x200, state: 4, text: 'top-chunk-text' },
  ];
  for (const c of chunks) {
    heap.writeBigUInt64LE(BigInt(c.size | 1), c.off + 8);
    heap.write(c.text, c.off + 0x10, 'latin1');
  }
  const table = packChunkTable(chunks.map((c) => ({ start: H + c.off, size: c.size, arenaIndex: 0, state: c.state })));
  const src = imageSource([{ address: H, data: heap }]);
  const range = [{ start: H, end: H + heap.length }];
  const texts = (r: Awaited<ReturnType<typeof scan>>) => r.strings.map((s) => s.text).sort();

  it('accepts a free-unlisted chunk and counts it as free memory', async () => {
    expect(texts(await scan(src, range, { chunkTable: table, chunkFilter: 'all' }))).toEqual(['being-freed-chunk-text', 'in-use-chunk-text', 'top-chunk-text']);
    expect(texts(await scan(src, range, { chunkTable: table, chunkFilter: 'free' }))).toEqual(['being-freed-chunk-text', 'top-chunk-text']);
    expect(texts(await scan(src, range, { chunkTable: table, chunkFilter: 'live' }))).toEqual(['in-use-chunk-text']);
  });

  it('still refuses states no walker writes', async () => {
    const bad = packChunkTable([{ start: H, size: 0x100, arenaIndex: 0, state: 7 }]);
    await expect(async () => scan(src, range, { chunkTable: bad })).rejects.toThrow(/unknown state 7/);
  });
});
