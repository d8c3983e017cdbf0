// TypeScript (src/glibc/layouts.ts, reading layouts.json) and C++
// (known_layouts.cc, reading layouts_table.h through the test addon) see the
// same table: the same ranges, names, row sources and every field's value.
import { describe, expect, it } from 'vitest';
import { layoutForNative } from '../../src/engine/malloc.js';
import { layoutRows, layoutTable } from '../../src/glibc/layouts.js';
import { testAddon } from './testAddon.js';

describe('layout table, TypeScript and C++', () => {
  const cpp = testAddon.knownMallocLayouts();

  it('has the same ranges with the same names and row sources', () => {
    const ts = layoutTable.map((r) => ({
      name: r.layout.name,
      from: r.from,
      to: r.to,
      sources: layoutRows.filter((row) => row.from >= r.from && row.to <= r.to).map((row) => row.source),
    }));
    expect(cpp.map(({ name, from, to, sources }) => ({ name, from, to, sources }))).toEqual(ts);
  });

  it('has every field of every range equal', () => {
    expect(cpp.map((e) => e.layout)).toEqual(layoutTable.map((r) => layoutForNative(r.layout)));
  });
});
