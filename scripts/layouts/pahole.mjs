// Struct layouts from DWARF, read with pahole (Debian package dwarves): one
// run per debug file, parsed into { size, members: { name: { offset, size, count } } }.
import { execFileSync } from 'node:child_process';

/** The structs glibc's malloc keeps its state in (malloc/malloc.c, malloc/arena.c). */
export const mallocStructs = ['malloc_state', 'malloc_par', '_heap_info', 'tcache_perthread_struct', 'tcache_entry'];

// A member line: "<type> <name>[<n>];  /* <offset> <size> */". Bit-fields print
// "offset:bit" and are not used by these structs, so they are refused.
const memberLine = /^\s+.*?\b(\w+)((?:\[\d+\])*);\s*\/\*\s*(\d+)(:\d+)?\s+(\d+)\s*\*\//;
const structStart = /^struct (\w+) \{$/;
const sizeLine = /\/\*\s*size:\s*(\d+),/;

/** Parses pahole's text output into a map from struct name to its layout. */
export function parsePahole(text) {
  const structs = {};
  let current = null;
  for (const line of text.split('\n')) {
    const start = structStart.exec(line);
    if (start) {
      current = { size: -1, members: {} };
      structs[start[1]] = current;
      continue;
    }
    if (!current) continue;
    const size = sizeLine.exec(line);
    if (size) {
      current.size = Number(size[1]);
      continue;
    }
    if (line === '};') {
      if (current.size < 0) throw new Error('pahole printed a struct without its size line');
      current = null;
      continue;
    }
    const m = memberLine.exec(line);
    if (!m) continue;
    if (m[4]) throw new Error(`unexpected bit-field ${m[1]} in pahole output`);
    const dims = [...m[2].matchAll(/\[(\d+)\]/g)].map((d) => Number(d[1]));
    current.members[m[1]] = { offset: Number(m[3]), size: Number(m[5]), count: dims.reduce((a, b) => a * b, 1) };
  }
  return structs;
}

/** The malloc structs of one debug file; a struct the file lacks is absent from the result. */
export function readMallocStructs(debugFile) {
  const out = execFileSync('pahole', ['-C', mallocStructs.join(','), debugFile], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  return parsePahole(out);
}
