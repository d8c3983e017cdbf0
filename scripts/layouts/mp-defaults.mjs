// mp_'s initial values, read from a libc build's file image: the static
// initializer of `struct malloc_par mp_` in malloc/malloc.c, at the address the
// debug file's .symtab gives. These are what a symbol-free search for mp_ keys on
// (src/glibc/layouts.ts mpInitializer, native/ptmalloc/arena_scan.cc scanForMallocPar).
import { mallocParMember } from './dwarf-layout.mjs';

/** Layout field holding the default of each mp* offset field that starts non-zero. */
export const mpDefaultFields = {
  mpTrimThreshold: 'mpDefaultTrimThreshold',
  mpTopPad: 'mpDefaultTopPad',
  mpMmapThreshold: 'mpDefaultMmapThreshold',
  mpArenaTest: 'mpDefaultArenaTest',
  mpNMmapsMax: 'mpDefaultNMmapsMax',
  mpThpMode: 'mpDefaultThpMode',
  mpTcacheBins: 'mpDefaultTcacheBins',
  mpTcacheMaxBytes: 'mpDefaultTcacheMaxBytes',
  mpTcacheCount: 'mpDefaultTcacheCount',
};

/**
 * The mpDefault* fields of one build: `libc` and `debug` are Elf objects (elf.mjs)
 * of libc.so.6 and its debug file, `mp` the malloc_par struct from pahole.
 * Every other member of mp_ must start at zero (statistics, sbrk_base,
 * hugetlb state, arena_max); a new non-zero default stops the generator, since
 * a search that assumes zero there would miss mp_.
 */
export function mpDefaultsFromImage(libc, debug, mp) {
  const sym = debug.symbol('mp_');
  if (!sym) throw new Error(`${debug.file}: no mp_ in .symtab`);
  if (sym.size !== mp.size) throw new Error(`mp_ is ${sym.size} bytes in .symtab, sizeof(struct malloc_par) is ${mp.size}`);
  const image = libc.bytesAt(sym.value, sym.size);
  const out = {};
  for (const field of Object.values(mpDefaultFields)) out[field] = -1;
  for (const name of Object.keys(mp.members)) {
    const member = mp.members[name];
    let value;
    if (member.size === 8) value = Number(image.readBigUInt64LE(member.offset));
    else if (member.size === 4) value = image.readUInt32LE(member.offset);
    else throw new Error(`malloc_par.${name} is ${member.size} bytes`);
    const field = Object.keys(mpDefaultFields).find((f) => mallocParMember(mp, f)?.name === name);
    if (field) out[mpDefaultFields[field]] = value;
    else if (value !== 0) throw new Error(`mp_.${name} starts at ${value}, not 0: give it a default field in the layout table`);
  }
  return out;
}
