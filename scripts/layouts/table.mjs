// The one layout table: rows from DWARF (each Debian glibc the archive has) and
// source-derived rows (the releases in between), every field of MallocLayout in
// each, checked to cover 2.17 onwards without gaps or overlaps.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutFromDwarf } from './dwarf-layout.mjs';
import { Elf } from './elf.mjs';
import { mpDefaultsFromImage } from './mp-defaults.mjs';
import { readMallocStructs } from './pahole.mjs';
import { ruleFields } from './rules.mjs';
import { sourceDerivedRows } from './source-derived.mjs';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const tableJsonPath = path.join(projectRoot, 'src', 'glibc', 'layouts.json');
export const tableHeaderPath = path.join(projectRoot, 'native', 'ptmalloc', 'layouts_table.h');
const layoutHeaderPath = path.join(projectRoot, 'native', 'ptmalloc', 'malloc_layout.h');

/** MallocLayout's fields in declaration order: the X-macro of native/ptmalloc/malloc_layout.h. */
export function layoutFieldNames() {
  const text = fs.readFileSync(layoutHeaderPath, 'utf8');
  const start = text.indexOf('#define ARENASCOPE_MALLOC_LAYOUT_FIELDS(X)');
  const end = text.indexOf('\n\n', start);
  const names = [...text.slice(start, end).matchAll(/\bX\((\w+)\)/g)].map((m) => m[1]);
  if (names.length === 0) throw new Error(`no field list found in ${layoutHeaderPath}`);
  return names;
}

/** The layout with its keys in declaration order; throws on a missing or unknown field. */
function ordered(layout, what) {
  const names = layoutFieldNames();
  const extra = Object.keys(layout).filter((k) => !names.includes(k));
  const missing = names.filter((k) => !Number.isInteger(layout[k]));
  if (extra.length || missing.length) {
    throw new Error(`${what}: ${missing.length ? `missing ${missing.join(', ')}` : ''}${extra.length ? ` unknown ${extra.join(', ')}` : ''}`);
  }
  return Object.fromEntries(names.map((k) => [k, layout[k]]));
}

const minorOf = (text) => {
  const m = /^2\.(\d+)$/.exec(text);
  if (!m) throw new Error(`not a glibc 2.x version: ${text}`);
  return Number(m[1]);
};

/** The Debian package version in libc's banner ("GNU C Library (Debian GLIBC 2.36-9+deb12u14) ..."). */
function packageVersionOf(release, libcFile) {
  if (release.packageVersion) return release.packageVersion;
  const m = /GNU C Library \([^)]*?GLIBC ([^)\s]+)\)/.exec(fs.readFileSync(libcFile).toString('latin1'));
  if (!m) throw new Error(`${libcFile}: no distribution version in the banner`);
  return m[1];
}

/**
 * The DWARF row of one glibc release as scripts/fetch-glibc.mjs returns it:
 * libc.so.6's debug file (by build-id: libc_malloc_debug.so's debug file has a
 * struct malloc_par too, built without tcache), its structs read with pahole,
 * mp_'s defaults from libc's image, and the rules.
 */
export function releaseRow(release) {
  const libcFile = path.join(release.libDir, 'libc.so.6');
  if (!release.debugDir) throw new Error(`glibc ${release.version}: no libc6-dbg (.build-id) under ${release.root}`);
  const libc = new Elf(libcFile);
  const id = libc.buildId();
  if (!id) throw new Error(`${libcFile}: no build-id note`);
  const debugFile = path.join(release.debugDir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`);
  if (!fs.existsSync(debugFile)) throw new Error(`glibc ${release.version}: ${debugFile} is missing (libc6-dbg of another build?)`);
  const structs = readMallocStructs(debugFile);
  if (!structs.malloc_par) throw new Error(`${debugFile}: no struct malloc_par in its DWARF`);
  const minor = minorOf(release.version);
  const rules = ruleFields(minor);
  checkRulesAgainstDwarf(structs, rules, release.version);
  const layout = {
    ...layoutFromDwarf(structs),
    ...mpDefaultsFromImage(libc, new Elf(debugFile), structs.malloc_par),
    ...rules,
  };
  return { from: minor, to: minor, source: `dwarf:${packageVersionOf(release, libcFile)}`, layout: ordered(layout, `glibc ${release.version}`) };
}

/**
 * Two rules the member names back up: the counters are called num_slots where
 * they count free slots (2.42), and a build with fastbinsY but no have_fastchunks
 * keeps the inverted FASTCHUNKS_BIT in flags. A release that breaks either
 * needs its rule looked at again.
 */
function checkRulesAgainstDwarf(structs, rules, version) {
  const slots = Boolean(structs.tcache_perthread_struct?.members.num_slots);
  if (slots !== (rules.tcacheCountsAreFreeSlots === 1)) {
    throw new Error(`glibc ${version}: tcacheCountsAreFreeSlots rule says ${rules.tcacheCountsAreFreeSlots}, but the counters are ${slots ? 'num_slots' : 'counts'}`);
  }
  const state = structs.malloc_state.members;
  const inverted = Boolean(state.fastbinsY) && !state.have_fastchunks;
  if (inverted !== (rules.fastchunksFlagInverted === 1)) {
    throw new Error(`glibc ${version}: fastchunksFlagInverted rule says ${rules.fastchunksFlagInverted}, but malloc_state ${state.have_fastchunks ? 'has' : 'lacks'} have_fastchunks`);
  }
}

/** The hand-kept rows of source-derived.mjs with the rules applied. */
export function sourceRows() {
  return sourceDerivedRows.map((r) => {
    // One row holds one layout: the rules must agree on every release it spans.
    const rules = JSON.stringify(ruleFields(r.from));
    for (let m = r.from + 1; m <= r.to; m++) {
      if (JSON.stringify(ruleFields(m)) !== rules) throw new Error(`source-derived row 2.${r.from}-2.${r.to}: the rules differ at 2.${m}; split the row`);
    }
    return { from: r.from, to: r.to, source: 'source-derived', layout: ordered({ ...r.layout, ...ruleFields(r.from) }, `source-derived 2.${r.from}-2.${r.to}`) };
  });
}

/** Every row, oldest first; throws unless they cover 2.17 to the newest without a gap or an overlap. */
export function assembleTable(dwarfRows) {
  const rows = [...sourceRows(), ...dwarfRows].sort((a, b) => a.from - b.from);
  let next = 17;
  for (const r of rows) {
    const name = `2.${r.from}-2.${r.to} (${r.source})`;
    if (r.from > next) throw new Error(`no row covers 2.${next}..2.${r.from - 1}`);
    if (r.from < next) throw new Error(`${name} overlaps the row before it: remove the source-derived row a DWARF row now covers`);
    if (r.to < r.from) throw new Error(`${name}: empty range`);
    next = r.to + 1;
  }
  return rows;
}

/** The JSON file's text: src/glibc/layouts.json. */
export function tableJsonText(rows) {
  const doc = {
    about: [
      'glibc malloc struct layouts for x86-64, one row per release range (minor versions, inclusive).',
      'Generated by scripts/gen-layouts.mjs: do not edit. A row whose source is dwarf:<Debian package version> comes from',
      "that libc6-dbg's DWARF (pahole) and libc's image of mp_; a source-derived row from scripts/layouts/source-derived.mjs;",
      'fields DWARF cannot give from scripts/layouts/rules.mjs. Field meanings: MallocLayout in src/glibc/layouts.ts; -1 = absent.',
    ],
    rows: rows.map((r) => ({ from: `2.${r.from}`, to: `2.${r.to}`, source: r.source, layout: r.layout })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Rows back from the JSON text, with minors as numbers. */
export function parseTableJson(text) {
  return JSON.parse(text).rows.map((r) => ({ from: minorOf(r.from), to: minorOf(r.to), source: r.source, layout: r.layout }));
}
