// The table's files are what scripts/gen-layouts.mjs writes: its DWARF rows
// (checked against libc6-dbg by layouts-dwarf.test.ts) joined with the
// source-derived rows and the rules of scripts/layouts/ give exactly
// src/glibc/layouts.json, and that gives exactly native/ptmalloc/layouts_table.h.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleTable, parseTableJson, tableHeaderPath, tableHeaderText, tableJsonPath, tableJsonText } from '../../scripts/gen-layouts.mjs';
import { layoutRows } from '../../src/glibc/layouts.js';

const jsonText = readFileSync(tableJsonPath, 'utf8');
const rows = parseTableJson(jsonText);

describe('the layout table files', () => {
  it('layouts.json: its DWARF rows plus scripts/layouts/ give the file again', () => {
    const regenerated = tableJsonText(assembleTable(rows.filter((r) => r.source.startsWith('dwarf:'))));
    expect(regenerated).toBe(jsonText);
  });

  it('layouts_table.h is generated from layouts.json as it stands', () => {
    expect(readFileSync(tableHeaderPath, 'utf8')).toBe(tableHeaderText(rows));
  });

  it('src/glibc/layouts.ts reads every row of layouts.json as it is', () => {
    expect(layoutRows).toEqual(rows);
  });
});
