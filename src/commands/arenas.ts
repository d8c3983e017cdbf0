// `arenascope arenas <pid>`: every glibc arena, exact, without debug symbols.
import { freeBytes, readMallocSnapshot } from '../engine/malloc.js';
import type { ArenaSnapshot, ChunkTotals, LocatedBy, MallocSnapshot } from '../model/snapshot.js';
import { anomaliesJson, anomalyLines, tornLine } from '../output/anomalies.js';
import { readsNote } from '../output/readsNote.js';
import { formatBytes, hex } from '../util/format.js';
import { renderTable } from '../util/table.js';

export interface ArenasOptions {
  json?: boolean;
  freeze?: boolean;
  debuginfo?: boolean; // commander: --no-debuginfo sets false
  debugDir?: string[];
  /** --locate: one route to main_arena, the others skipped. */
  locate?: LocatedBy;
  bins?: boolean;
  histogram?: boolean;
  readSwapped?: boolean;
}

function arenaJson(a: ArenaSnapshot) {
  return {
    address: hex(a.address),
    main: a.main,
    heaps: a.heaps.map((h) => ({ start: hex(h.start), size: h.size, mprotectSize: h.mprotectSize, reserved: h.reserved })),
    systemMem: a.systemMem,
    maxSystemMem: a.maxSystemMem,
    attachedThreads: a.attachedThreads,
    top: { address: hex(a.top.address), size: a.top.size },
    lastRemainder: hex(a.lastRemainder),
    inUse: a.inUse,
    internal: a.internal,
    free: a.free,
    listsReadBy: a.listsReadBy,
    overhead: a.overhead,
    rss: a.rss,
    identityHolds: a.identityHolds,
    approximate: a.approximate,
    locked: a.locked,
    ...anomaliesJson(a.anomalies),
    ...(a.bins ? { bins: a.bins } : {}),
    ...(a.tcaches ? { tcaches: a.tcaches.map((t) => ({ ...t, address: hex(t.address) })) } : {}),
    ...(a.histogram ? { histogram: a.histogram } : {}),
  };
}

export function arenasJson(s: MallocSnapshot) {
  return {
    pid: s.pid,
    allocator: s.allocator.allocator,
    glibcVersion: s.glibcVersion,
    layout: s.layout,
    layoutChosenBy: s.layoutChosenBy,
    locatedBy: s.locatedBy,
    mainArena: hex(s.mainArena),
    mallocPar: hex(s.mallocPar),
    heapMaxSize: s.heapMaxSize,
    params: s.params,
    arenas: s.arenas.map(arenaJson),
    totals: s.totals,
    ...anomaliesJson(s.anomalies),
    freeze: s.freeze,
    reads: s.reads,
  };
}

/** "fastbins 3 chunks 96 B, unsorted ..." of one arena; no fastbins entry where the glibc has none (2.43+). */
export function freeListsLine(a: ArenaSnapshot): string {
  const f = a.free;
  const lists: Array<[string, ChunkTotals | null]> = [
    ['fastbins', f.fastbins],
    ['unsorted', f.unsorted],
    ['smallbins', f.smallbins],
    ['largebins', f.largebins],
    ['tcache', f.tcache],
  ];
  return lists
    .filter((l): l is [string, ChunkTotals] => l[1] !== null)
    .map(([name, t]) => `${name} ${t.chunks} chunks ${formatBytes(t.bytes)}`)
    .join(', ');
}

export function renderArenas(s: MallocSnapshot, opts: Pick<ArenasOptions, 'bins' | 'histogram'>): string {
  const rows = s.arenas;
  const table = renderTable(rows, [
    { header: 'Arena', value: (a) => hex(a.address) + (a.main ? ' (main)' : '') + (a.approximate ? ' ~' : '') },
    { header: 'Heaps', value: (a) => String(a.heaps.length), align: 'right' },
    { header: 'Reserved', value: (a) => formatBytes(a.heaps.reduce((t, h) => t + h.reserved, 0)), align: 'right' },
    { header: 'Resident', value: (a) => formatBytes(a.rss), align: 'right' },
    { header: 'System', value: (a) => formatBytes(a.systemMem), align: 'right' },
    { header: 'In use', value: (a) => formatBytes(a.inUse.bytes + a.internal.bytes), align: 'right' },
    { header: 'Free', value: (a) => formatBytes(freeBytes(a)), align: 'right' },
    { header: 'Top', value: (a) => formatBytes(a.top.size), align: 'right' },
    { header: 'Threads', value: (a) => (a.attachedThreads === null ? '-' : String(a.attachedThreads)), align: 'right' },
    { header: 'Anomalies', value: (a) => (a.anomalies.total ? String(a.anomalies.total) : ''), align: 'right' },
  ]);
  const t = s.totals;
  const p = s.params;
  const lines = [
    table,
    '',
    `total: ${t.arenas} arenas, ${t.heaps} heaps, ${formatBytes(t.reserved)} reserved, ${formatBytes(t.resident)} resident, ${formatBytes(t.systemMem)} system, ` +
      `${formatBytes(t.inUse.bytes)} in use, ${formatBytes(t.free.bytes)} free, ${formatBytes(t.top)} top, ${formatBytes(t.overhead)} overhead`,
    `glibc ${s.glibcVersion}, main_arena ${hex(s.mainArena)} located by ${s.locatedBy}` + (s.freeze ? `; target stopped ${s.freeze.stoppedMs.toFixed(1)} ms` : '; target not stopped'),
    ...(s.layoutChosenBy === 'inferred'
      ? [`inferred layout ${s.layout}: glibc ${s.glibcVersion} is newer than arenascope's layout table; its structs were checked against memory invariants, not taken from a table row`]
      : []),
    p
      ? `mmap threshold ${formatBytes(p.mmapThreshold)}${p.dynamicMmapThreshold ? ' (raised dynamically by free())' : ''}, trim threshold ${formatBytes(p.trimThreshold)}, ` +
        `top pad ${formatBytes(p.topPad)}, arena_max ${p.arenaMax || 'unset'}, arena_test ${p.arenaTest}, mmapped chunks ${p.mmappedChunks} (${formatBytes(p.mmappedBytes)})`
      : `malloc parameters unknown: mp_ at ${hex(s.mallocPar)} could not be read`,
  ];
  const note = readsNote(s.reads);
  if (note) lines.push(note);
  if (rows.some((a) => a.approximate && a.anomalies.torn.total === 0)) lines.push('~ arena changed while it was read (lock held); numbers approximate. Use --freeze for an exact snapshot.');
  lines.push(...anomalyLines('the arena ring and tcaches', s.anomalies, false));
  for (const a of rows) lines.push(...anomalyLines(hex(a.address), a.anomalies, false));
  const torn = tornLine([{ where: 'the tcaches', summary: s.anomalies }, ...rows.map((a) => ({ where: hex(a.address), summary: a.anomalies }))]);
  if (torn) lines.push(torn);
  if (opts.bins) {
    for (const a of rows) {
      if (!a.bins?.length && !a.tcaches?.length) continue;
      lines.push('', `bins of ${hex(a.address)}${a.main ? ' (main)' : ''}:`);
      lines.push(`free lists: ${freeListsLine(a)}`);
      lines.push(
        renderTable(a.bins ?? [], [
          { header: 'Kind', value: (b) => b.kind },
          { header: 'Index', value: (b) => String(b.index), align: 'right' },
          { header: 'Chunks', value: (b) => String(b.chunks), align: 'right' },
          { header: 'Bytes', value: (b) => formatBytes(b.bytes), align: 'right' },
          { header: 'Sizes', value: (b) => (b.minSize === b.maxSize ? hex(b.minSize) : `${hex(b.minSize)}-${hex(b.maxSize)}`) },
        ]),
      );
      for (const tc of a.tcaches ?? []) {
        const mmapped = tc.mmapped.chunks > 0 ? ` (${tc.mmapped.chunks} mmapped, ${formatBytes(tc.mmapped.bytes)})` : '';
        lines.push(`tcache ${hex(tc.address)}: ${tc.chunks} chunks, ${formatBytes(tc.bytes)}${mmapped}`);
      }
    }
  }
  if (opts.histogram) {
    for (const a of rows) {
      if (!a.histogram?.length) continue;
      lines.push('', `size classes of ${hex(a.address)}${a.main ? ' (main)' : ''}:`);
      lines.push(
        renderTable(a.histogram, [
          { header: 'Chunk size', value: (h) => hex(h.size), align: 'right' },
          { header: 'In use', value: (h) => String(h.inUseChunks), align: 'right' },
          { header: 'In-use bytes', value: (h) => formatBytes(h.inUseBytes), align: 'right' },
          { header: 'Free', value: (h) => String(h.freeChunks), align: 'right' },
          { header: 'Free bytes', value: (h) => formatBytes(h.freeBytes), align: 'right' },
        ]),
      );
    }
  }
  return lines.join('\n');
}

export async function runArenas(pid: number, opts: ArenasOptions): Promise<void> {
  const { snapshot } = await readMallocSnapshot(pid, {
    freeze: opts.freeze,
    useDebuginfo: opts.debuginfo !== false,
    debugDirs: opts.debugDir ?? [],
    ...(opts.locate ? { locate: opts.locate } : {}),
    withBins: opts.bins,
    withHistogram: opts.histogram,
    readSwapped: opts.readSwapped,
  });
  process.stdout.write((opts.json ? JSON.stringify(arenasJson(snapshot), null, 2) : renderArenas(snapshot, opts)) + '\n');
}
