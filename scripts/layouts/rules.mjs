// Layout fields that DWARF cannot give: how glibc uses a field, not where it
// is. One rule per field, as a function of the minor version (2.<minor>), with
// the glibc fact behind it. They apply to every row, DWARF or source-derived.

export const rules = [
  {
    field: 'safeLinking',
    // malloc.c PROTECT_PTR/REVEAL_PTR mangle tcache_entry.next and fastbin fd
    // (commit a1a486d70e "Add Safe-Linking to fastbins and tcache", first in 2.32).
    value: (minor) => (minor >= 32 ? 1 : 0),
  },
  {
    field: 'fastchunksFlagInverted',
    // Up to 2.26, malloc_state.flags bit FASTCHUNKS_BIT (1) is SET when there are no
    // fast chunks: have_fastchunks(M) is ((M)->flags & FASTCHUNKS_BIT) == 0. 2.27
    // (commit e956075a5a) moved it to the int member have_fastchunks; 2.43 has no fastbins.
    value: (minor) => (minor <= 26 ? 1 : 0),
  },
  {
    field: 'tcacheCountsAreFreeSlots',
    // 2.42 (commit 7e10e30e64 "Count tcache entries downwards"): num_slots[i] starts at
    // mp_.tcache_count (tcache_init) and tcache_put decrements it; before, counts[i] was
    // the number of cached chunks.
    value: (minor) => (minor >= 42 ? 1 : 0),
  },
  {
    field: 'heapMaxHpFactor',
    // arena.c heap_max_size(): from 2.35 (commit c1beb51d08 "Add Huge Page support to
    // arenas") to 2.41 it returns mp_.hp_pagesize * 4 when hp_pagesize != 0, else
    // HEAP_MAX_SIZE; 2.42 (commit 9f551e28a7 "Improve arena_for_chunk()") returns
    // HEAP_MAX_SIZE always. 0 here means heap_max is always HEAP_MAX_SIZE (64 MiB).
    value: (minor) => (minor >= 35 && minor <= 41 ? 4 : 0),
  },
  {
    field: 'mmappedChunkTail',
    // 2.43 (commit 614cfd0f8a "Change mmap chunk layout"): mmap_set_chunk() sets an
    // mmapped chunk's size to mmap_size - offset - CHUNK_HDR_SZ, so the mapping runs
    // 16 bytes past chunk + chunksize; before, size was the mapping length less the offset.
    value: (minor) => (minor >= 43 ? 16 : 0),
  },
  {
    field: 'tcacheHoldsMmapped',
    // 2.43 (the same series): __libc_free puts a chunk in its tcache bin whatever its
    // origin, mmapped ones included; up to 2.42 an mmapped chunk was munmapped at once
    // (__libc_free checked chunk_is_mmapped first), so no tcache entry could be one.
    value: (minor) => (minor >= 43 ? 1 : 0),
  },
];

/** The rule-given fields of the layout of glibc 2.<minor>. */
export function ruleFields(minor) {
  return Object.fromEntries(rules.map((r) => [r.field, r.value(minor)]));
}
