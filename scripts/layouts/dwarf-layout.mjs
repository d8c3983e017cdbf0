// MallocLayout's struct fields from the DWARF of one glibc build (pahole.mjs):
// every offset, size and count the table holds that the types themselves say.
// What the types cannot say (how a field is used) is in rules.mjs.

const absent = -1;

/** request2size(sizeof(tcache_perthread_struct)): the chunk tcache_init() allocates (x86-64: SIZE_SZ 8, MALLOC_ALIGN_MASK 15, MINSIZE 32). */
function request2size(bytes) {
  return Math.max(32, (bytes + 8 + 15) & ~15);
}

function need(struct, structName, member) {
  const m = struct.members[member];
  if (!m) throw new Error(`struct ${structName} has no member ${member}`);
  return m;
}

const offsetOf = (struct, member) => struct.members[member]?.offset ?? absent;

function mallocState(s) {
  const at = (member) => need(s, 'malloc_state', member).offset;
  const bins = need(s, 'malloc_state', 'bins');
  // NBINS * 2 - 2 bin pointers in every version; anything else is not the malloc_state this table describes.
  if (bins.count !== 254) throw new Error(`malloc_state.bins has ${bins.count} entries, not 254`);
  const fastbins = s.members.fastbinsY;
  return {
    stateSize: s.size,
    offFlags: at('flags'),
    offHaveFastchunks: offsetOf(s, 'have_fastchunks'),
    offFastbins: fastbins ? fastbins.offset : absent,
    nFastbins: fastbins ? fastbins.count : 0,
    offTop: at('top'),
    offLastRemainder: at('last_remainder'),
    offBins: bins.offset,
    offBinmap: at('binmap'),
    offNext: at('next'),
    offNextFree: at('next_free'),
    offAttachedThreads: offsetOf(s, 'attached_threads'),
    offSystemMem: at('system_mem'),
    offMaxSystemMem: at('max_system_mem'),
  };
}

function heapInfo(h) {
  return { heapInfoSize: h.size, heapInfoHasPagesize: h.members.pagesize ? 1 : 0 };
}

// malloc_par member of each mp* offset field. 2.42 renamed tcache_bins to
// tcache_small_bins when it added the large tcache bins; both are the number of small bins in use.
export const mallocParMembers = {
  mpTrimThreshold: ['trim_threshold'],
  mpTopPad: ['top_pad'],
  mpMmapThreshold: ['mmap_threshold'],
  mpArenaTest: ['arena_test'],
  mpArenaMax: ['arena_max'],
  mpThpMode: ['thp_mode'],
  mpThpPagesize: ['thp_pagesize'],
  mpHpPagesize: ['hp_pagesize'],
  mpHpFlags: ['hp_flags'],
  mpNMmaps: ['n_mmaps'],
  mpNMmapsMax: ['n_mmaps_max'],
  mpMaxNMmaps: ['max_n_mmaps'],
  mpNoDynThreshold: ['no_dyn_threshold'],
  mpMmappedMem: ['mmapped_mem'],
  mpMaxMmappedMem: ['max_mmapped_mem'],
  mpMaxTotalMem: ['max_total_mem'],
  mpSbrkBase: ['sbrk_base'],
  mpTcacheBins: ['tcache_bins', 'tcache_small_bins'],
  mpTcacheMaxBytes: ['tcache_max_bytes'],
  mpTcacheCount: ['tcache_count'],
  mpTcacheUnsortedLimit: ['tcache_unsorted_limit'],
};

const requiredMallocPar = ['trim_threshold', 'top_pad', 'mmap_threshold', 'arena_test', 'arena_max', 'n_mmaps', 'n_mmaps_max', 'max_n_mmaps', 'no_dyn_threshold', 'mmapped_mem', 'max_mmapped_mem', 'sbrk_base'];

/** The malloc_par member behind an mp* field, or undefined when this build has none. */
export function mallocParMember(mp, field) {
  const name = mallocParMembers[field].find((n) => mp.members[n]);
  return name === undefined ? undefined : { name, ...mp.members[name] };
}

function mallocPar(mp) {
  for (const m of requiredMallocPar) need(mp, 'malloc_par', m);
  const known = new Set(Object.values(mallocParMembers).flat());
  const unknown = Object.keys(mp.members).filter((m) => !known.has(m));
  // A new mp_ member may be one a reader needs (thp_mode was); the table must say where it is first.
  if (unknown.length > 0) throw new Error(`malloc_par has members this table does not know: ${unknown.join(', ')}`);
  const out = { mpSize: mp.size };
  for (const field of Object.keys(mallocParMembers)) out[field] = mallocParMember(mp, field)?.offset ?? absent;
  return out;
}

function tcache(t, entry) {
  if (!t) {
    // No tcache_perthread_struct in the build: nothing to count, no entries.
    return { tcacheBins: 0, tcacheCountWidth: 0, tcacheEntriesOffset: 0, tcacheChunkSize: 0, tcacheHasKey: 0 };
  }
  const entries = need(t, 'tcache_perthread_struct', 'entries');
  // counts[] before 2.42, num_slots[] from 2.42 (same place, same width; rules.mjs says what they count).
  const counters = t.members.counts ?? t.members.num_slots;
  if (!counters) throw new Error('tcache_perthread_struct has neither counts nor num_slots');
  if (counters.count !== entries.count) throw new Error('tcache_perthread_struct: counters and entries differ in length');
  if (!entry) throw new Error('tcache_perthread_struct without struct tcache_entry');
  return {
    tcacheBins: entries.count,
    tcacheCountWidth: counters.size / counters.count,
    tcacheEntriesOffset: entries.offset,
    tcacheChunkSize: request2size(t.size),
    tcacheHasKey: entry.members.key ? 1 : 0,
  };
}

/** The DWARF-given fields of MallocLayout from readMallocStructs() output. */
export function layoutFromDwarf(structs) {
  for (const name of ['malloc_state', 'malloc_par', '_heap_info']) {
    if (!structs[name]) throw new Error(`the debug file has no struct ${name}`);
  }
  return {
    ...mallocState(structs.malloc_state),
    ...heapInfo(structs._heap_info),
    ...mallocPar(structs.malloc_par),
    ...tcache(structs.tcache_perthread_struct, structs.tcache_entry),
  };
}
