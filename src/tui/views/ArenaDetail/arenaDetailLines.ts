// The arena detail as lines: totals and fill, anomalies, heap map, free
// lists, heaps, tcaches, size classes, bins.
import { createElement } from 'react';
import type { ArenaSnapshot, ChunkTotals, SizeClassRow } from '../../../model/snapshot.js';
import { anomalyLines } from '../../../output/anomalies.js';
import { formatBytes, hex } from '../../../util/format.js';
import { FillBar, FillLegend } from '../../components/FillBar.js';
import { heapMapLines, type HeapMapData } from '../../components/HeapMap.js';
import { node, text, type Line } from '../../components/Lines.js';
import { arenaFreeBytes, arenaReserved, type ArenaGrowth } from '../../sampling/growth.js';
import { padLeft, padRight, signedBytes } from '../../text.js';
import { fillSegments } from '../Arenas/Arenas.js';

export interface ArenaDetailInput {
  arena: ArenaSnapshot;
  growth: ArenaGrowth | null;
  /** Per-cell heap states, folded by the walk itself (the heap map asked for this arena); absent until a sample brings it. */
  heapMap?: HeapMapData;
  width: number;
}

const b = formatBytes;
const heading = (t: string): Line => [text(t, 'accent', true)];

function totalsRow(name: string, t: ChunkTotals): Line {
  return [text(`  ${padRight(name, 12)}${padLeft(String(t.chunks), 9)} chunks ${padLeft(b(t.bytes), 10)}`)];
}

/** Size classes merged into power-of-two buckets: a few rows that still show where the bytes are. */
export function bucketHistogram(rows: SizeClassRow[]): SizeClassRow[] {
  const buckets = new Map<number, SizeClassRow>();
  for (const r of rows) {
    const low = 2 ** Math.floor(Math.log2(Math.max(1, r.size)));
    const b = buckets.get(low) ?? { size: low, inUseChunks: 0, inUseBytes: 0, freeChunks: 0, freeBytes: 0 };
    b.inUseChunks += r.inUseChunks;
    b.inUseBytes += r.inUseBytes;
    b.freeChunks += r.freeChunks;
    b.freeBytes += r.freeBytes;
    buckets.set(low, b);
  }
  return [...buckets.values()].filter((r) => r.inUseChunks + r.freeChunks > 0).sort((x, y) => x.size - y.size);
}

function histogramLines(a: ArenaSnapshot, width: number): Line[] {
  if (!a.histogram) return [[text('  size-class histogram not in this snapshot', 'muted')]];
  const rows = bucketHistogram(a.histogram);
  if (rows.length === 0) return [[text('  no chunks', 'muted')]];
  const maxBytes = Math.max(...rows.map((r) => r.inUseBytes + r.freeBytes));
  const barWidth = Math.max(8, width - 66);
  const lines: Line[] = [[text(`  ${padLeft('chunk size', 13)} ${padLeft('in use', 9)} ${padLeft('bytes', 10)} ${padLeft('free', 9)} ${padLeft('bytes', 10)}`, 'muted')]];
  for (const r of rows) {
    const scale = barWidth / Math.max(1, maxBytes);
    const used = Math.round(r.inUseBytes * scale);
    const free = Math.round(r.freeBytes * scale);
    const range = `${b(r.size)}+`;
    lines.push([
      text(`  ${padLeft(range, 13)} ${padLeft(String(r.inUseChunks), 9)} ${padLeft(b(r.inUseBytes), 10)} ${padLeft(String(r.freeChunks), 9)} ${padLeft(b(r.freeBytes), 10)} `),
      text('█'.repeat(used), 'used'),
      text('▒'.repeat(free), 'free'),
    ]);
  }
  return lines;
}

export function arenaDetailLines({ arena: a, growth, heapMap, width }: ArenaDetailInput): Line[] {
  const reserved = arenaReserved(a);
  const free = arenaFreeBytes(a);
  const lines: Line[] = [];
  lines.push([text(a.main ? 'main arena' : 'thread arena', 'title', true), text(`  ${hex(a.address)}  threads ${a.attachedThreads ?? '?'}  RSS ${b(a.rss)}`)]);
  if (growth) lines.push([text(`growth ${signedBytes(growth.rss, b)} since the session started, ${signedBytes(growth.rssLast, b)} since the last sample`)]);
  lines.push([text(`system_mem ${b(a.systemMem)} (max ${b(a.maxSystemMem)})  reserved ${b(reserved)} in ${a.heaps.length} heap(s)`)]);
  lines.push([text(`in use ${b(a.inUse.bytes)}  free ${b(free)}  top ${b(a.top.size)}  overhead ${b(a.overhead)}`)]);
  const notes: string[] = [];
  if (!a.identityHolds) notes.push('accounting identity does not hold');
  if (a.approximate) notes.push('approximate (the heap changed while it was read)');
  if (notes.length) lines.push([text(notes.join('; '), 'warn')]);
  lines.push([
    node(
      createElement(FillBar, {
        width: Math.max(10, width - 1),
        segments: fillSegments({ arena: a, free, reserved, growth: growth ?? { rss: 0, rssLast: 0 }, suspicious: false }),
      }),
    ),
  ]);
  lines.push([node(createElement(FillLegend, {}))]);

  if (a.anomalies.total > 0 || a.anomalies.torn.total > 0) {
    lines.push([], heading(`Anomalies (${a.anomalies.total})`));
    for (const l of anomalyLines(hex(a.address), a.anomalies)) lines.push([text(`  ${l}`, a.anomalies.total > 0 ? 'bad' : 'warn')]);
  }

  lines.push([], heading('Heap map'));
  lines.push(...heapMapLines(heapMap, Math.max(10, width - 2), 8).map((l) => [text('  '), ...l]));

  lines.push([], heading('Free lists'));
  // No line where the glibc has no fastbins (2.43+), rather than a line of zeros.
  if (a.free.fastbins) lines.push(totalsRow('fastbins', a.free.fastbins));
  lines.push(totalsRow('unsorted', a.free.unsorted));
  lines.push(totalsRow('smallbins', a.free.smallbins));
  lines.push(totalsRow('largebins', a.free.largebins));
  lines.push(totalsRow('tcache', a.free.tcache));
  lines.push([text(`  ${padRight('top', 12)}${padLeft('', 16)} ${padLeft(b(a.top.size), 10)}  at ${hex(a.top.address)}`)]);
  lines.push([text(`  in use ${a.inUse.chunks} chunks ${b(a.inUse.bytes)}; glibc-internal ${a.internal.chunks} chunks ${b(a.internal.bytes)}; overhead ${b(a.overhead)}`)]);

  lines.push([], heading('Heaps'));
  for (const h of a.heaps) {
    lines.push([text(`  ${hex(h.start)}  size ${padLeft(b(h.size), 10)}  mprotect ${padLeft(b(h.mprotectSize), 10)}  reserved ${padLeft(b(h.reserved), 10)}`)]);
  }
  if (a.tcaches && a.tcaches.length > 0) {
    lines.push([], heading(`Tcaches (${a.tcaches.length})`));
    for (const t of a.tcaches) lines.push([text(`  ${hex(t.address)}  ${t.chunks} chunks ${b(t.bytes)}`)]);
  }

  lines.push([], heading('Size classes (chunk size with header, in power-of-two buckets)'));
  lines.push(...histogramLines(a, width));

  if (a.bins) {
    const nonEmpty = a.bins.filter((bin) => bin.chunks > 0);
    lines.push([], heading(`Bins (${nonEmpty.length} non-empty)`));
    for (const bin of nonEmpty) {
      lines.push([text(`  ${padRight(`${bin.kind}[${bin.index}]`, 14)}${padLeft(String(bin.chunks), 7)} chunks ${padLeft(b(bin.bytes), 10)}  sizes ${b(bin.minSize)}..${b(bin.maxSize)}`)]);
    }
  }
  return lines;
}
