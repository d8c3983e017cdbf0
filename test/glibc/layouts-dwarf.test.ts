// The checked-in layout table (src/glibc/layouts.json) against the DWARF of
// every glibc the Debian archive has: each release's libc6-dbg is fetched
// (test/.cache/glibc/<version>/) and read with the generator's own extraction
// (scripts/gen-layouts.mjs: pahole, mp_'s image, the rules); its row in the
// table must hold the same value in every field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fetchableGlibcVersions } from '../../scripts/fetch-glibc.mjs';
import { parseTableJson, releaseRow, tableJsonPath } from '../../scripts/gen-layouts.mjs';
import { ensureGlibc } from '../helpers/glibc.js';

const rows = parseTableJson(readFileSync(tableJsonPath, 'utf8'));

describe.each(fetchableGlibcVersions)('glibc %s', (version) => {
  // test/setup/global.ts has fetched every release; the timeout covers a fetch all the same.
  it('has a DWARF row equal, field by field, to its libc6-dbg', () => {
    const fresh = releaseRow(ensureGlibc(version));
    const row = rows.find((r) => r.from === fresh.from && r.to === fresh.to);
    expect(row, `no row of its own for glibc ${version}: run node scripts/gen-layouts.mjs`).toBeDefined();
    expect(row!.source).toMatch(/^dwarf:/);
    const differences = Object.keys({ ...fresh.layout, ...row!.layout })
      .filter((field) => row!.layout[field] !== fresh.layout[field])
      .map((field) => `${field}: table ${row!.layout[field]}, DWARF ${fresh.layout[field]}`);
    expect(differences).toEqual([]);
  }, 300_000);
});
