#!/usr/bin/env node
// Writes the one glibc layout table: src/glibc/layouts.json (read by
// src/glibc/layouts.ts) and its C++ view native/ptmalloc/layouts_table.h (read by
// native/ptmalloc/known_layouts.cc). Every glibc release scripts/fetch-glibc.mjs
// can fetch from the Debian archive gives one row from its libc6-dbg's DWARF;
// the releases in between keep source-derived rows (scripts/layouts/).
//
//   node scripts/gen-layouts.mjs           # fetch what is missing, write both files
//   node scripts/gen-layouts.mjs --check   # exit 1 if either file is not what would be written
//
// Needs pahole (Debian package dwarves) and what fetch-glibc needs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchableGlibcVersions, fetchGlibc } from './fetch-glibc.mjs';
import { tableHeaderText } from './layouts/header.mjs';
import { assembleTable, releaseRow, tableHeaderPath, tableJsonPath, tableJsonText } from './layouts/table.mjs';

// What the tests reuse (test/glibc/layouts-*.test.ts): the same extraction and writers.
export { assembleTable, parseTableJson, releaseRow, tableHeaderPath, tableJsonPath, tableJsonText } from './layouts/table.mjs';
export { tableHeaderText } from './layouts/header.mjs';

/** Both files' paths and the text this script would write to each. */
export function generateLayoutFiles({ log = () => {} } = {}) {
  const dwarfRows = fetchableGlibcVersions.map((version) => {
    const release = fetchGlibc(version, { log });
    log(`glibc ${version}: DWARF of ${release.source} libc6-dbg`);
    return releaseRow(release);
  });
  const rows = assembleTable(dwarfRows);
  return [
    { file: tableJsonPath, text: tableJsonText(rows) },
    { file: tableHeaderPath, text: tableHeaderText(rows) },
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const log = (m) => process.stderr.write(`gen-layouts: ${m}\n`);
  let stale = 0;
  for (const { file, text } of generateLayoutFiles({ log })) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (current === text) continue;
    if (check) {
      log(`${path.relative(process.cwd(), file)} is not what the DWARF and scripts/layouts/ give: run node scripts/gen-layouts.mjs`);
      stale++;
    } else {
      fs.writeFileSync(file, text);
      log(`wrote ${path.relative(process.cwd(), file)}`);
    }
  }
  process.exit(stale > 0 ? 1 : 0);
}
