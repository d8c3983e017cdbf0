// The Overview's content as lines: process, threads, memory, cgroup, arenas,
// glibc and malloc tunables, growth, regions, advice.
import { createElement } from 'react';
import type { MallocSnapshot, ProcessSnapshot } from '../../../model/snapshot.js';
import type { CgroupMemory } from '../../../proc/cgroup.js';
import { formatBytes, percent } from '../../../util/format.js';
import { FillBar, FillLegend } from '../../components/FillBar.js';
import { node, text, type Line } from '../../components/Lines.js';
import { processGrowth } from '../../sampling/growth.js';
import { formatDuration, signedBytes } from '../../text.js';

export interface AdviceLine {
  rule: string;
  message: string;
}

export interface OverviewInput {
  snapshot: ProcessSnapshot;
  first: ProcessSnapshot | null;
  previous: ProcessSnapshot | null;
  cgroup: CgroupMemory | null;
  advice?: AdviceLine[];
  width: number;
}

const labelWidth = 10;
const label = (l: string): ReturnType<typeof text> => text(l.padEnd(labelWidth), 'accent', true);
const indent = (): ReturnType<typeof text> => text(' '.repeat(labelWidth));
const b = formatBytes;

function opt(n: number | null, f: (n: number) => string = b): string {
  return n === null ? '?' : f(n);
}

function arenaLines(m: MallocSnapshot, threads: number, width: number): Line[] {
  const t = m.totals;
  const mainCount = m.arenas.filter((a) => a.main).length;
  const lines: Line[] = [
    [
      label('Arenas'),
      text(`${m.arenas.length} (${mainCount} main + ${m.arenas.length - mainCount} thread)  for ${threads} threads: ${(m.arenas.length / Math.max(1, threads)).toFixed(2)} per thread`),
    ],
    [indent(), text(`reserved ${b(t.reserved)}  resident ${b(t.resident)}  in ${t.heaps} heaps`)],
    [indent(), text(`in use ${b(t.inUse.bytes)}  free ${b(t.free.bytes)}  top ${b(t.top)}  overhead ${b(t.overhead)}`)],
  ];
  const barWidth = Math.max(10, width - labelWidth - 1);
  const notMapped = Math.max(0, t.reserved - (t.inUse.bytes + t.free.bytes + t.top + t.overhead));
  lines.push([
    indent(),
    node(
      createElement(FillBar, {
        width: barWidth,
        segments: [
          { state: 'used', bytes: t.inUse.bytes + t.overhead },
          { state: 'free', bytes: t.free.bytes },
          { state: 'top', bytes: t.top },
          { state: 'unmapped', bytes: notMapped },
        ],
      }),
    ),
  ]);
  lines.push([indent(), node(createElement(FillLegend, {}))]);
  if (t.free.bytes > 0) {
    lines.push([indent(), text(`${b(t.free.bytes)} free in ${t.free.chunks} chunks (${percent(t.free.bytes, t.resident)} of arena resident)`, 'warn')]);
  }
  return lines;
}

function mallocLines(m: MallocSnapshot): Line[] {
  const p = m.params;
  const glibc: Line = [label('glibc'), text(`${m.glibcVersion}  ${m.allocator.libcPath ?? ''}  (found by ${m.locatedBy})`)];
  if (!p) return [glibc, [label('malloc'), text(`parameters unknown: mp_ at 0x${m.mallocPar.toString(16)} could not be read`, 'warn')]];
  const arenaMax = p.arenaMax === 0 ? '0 (8 x cores)' : String(p.arenaMax);
  return [
    glibc,
    [
      label('malloc'),
      text(`mmap_threshold ${b(p.mmapThreshold)}${p.dynamicMmapThreshold ? ' (raised by glibc)' : ''}  trim_threshold ${b(p.trimThreshold)}  top_pad ${b(p.topPad)}`),
    ],
    [indent(), text(`arena_max ${arenaMax}${p.tcacheCount !== null ? `  tcache_count ${p.tcacheCount}` : ''}  mmapped chunks ${p.mmappedChunks} (${b(p.mmappedBytes)})`)],
  ];
}

export function overviewLines({ snapshot: s, first, previous, cgroup, advice, width }: OverviewInput): Line[] {
  const lines: Line[] = [];
  lines.push([label('Process'), text(`pid ${s.pid}  ${s.comm}`, undefined, true), text(`  state ${s.status.state}  ppid ${s.status.ppid}`)]);
  lines.push([label('Command'), text(s.cmdline.join(' ') || `[${s.comm}]`)]);
  lines.push([label('Threads'), text(String(s.threads.length))]);
  lines.push([label('Memory'), text(`RSS ${opt(s.status.vmRss)}  VIRT ${opt(s.status.vmSize)}  swap ${opt(s.status.vmSwap)}`)]);
  if (cgroup) {
    const rss = s.status.vmRss;
    const limitText = cgroup.limit === null ? 'no limit' : `limit ${b(cgroup.limit)}`;
    const usageText = cgroup.usage === null ? '' : `  usage ${b(cgroup.usage)}`;
    const line: Line = [label('cgroup'), text(`${limitText}${usageText}  (v${cgroup.version} ${cgroup.path})`)];
    lines.push(line);
    if (cgroup.limit !== null && rss !== null) {
      const frac = rss / cgroup.limit;
      lines.push([indent(), text(`RSS is ${percent(rss, cgroup.limit)} of the limit`, frac > 0.9 ? 'bad' : frac > 0.7 ? 'warn' : 'good', frac > 0.7)]);
    }
  } else {
    lines.push([label('cgroup'), text('no memory cgroup found', 'muted')]);
  }
  lines.push([]);
  if (s.malloc) {
    lines.push(...arenaLines(s.malloc, s.threads.length, width));
    lines.push(...mallocLines(s.malloc));
  } else {
    const why = s.mallocError ?? `allocator is ${s.allocator.allocator} (${s.allocator.evidence})`;
    lines.push([label('Arenas'), text(`unavailable: ${why}`, 'warn')]);
    if (s.allocator.glibcVersion) lines.push([label('glibc'), text(s.allocator.glibcVersion)]);
  }
  lines.push([]);
  const g = processGrowth(first, previous, s);
  const rssText = `RSS ${g.rss === null ? '?' : signedBytes(g.rss, b)}${g.rssLast !== null ? ` (last sample ${signedBytes(g.rssLast, b)})` : ''}`;
  lines.push([label('Growth'), text(`over ${formatDuration(g.elapsedMs)}: ${rssText}`)]);
  const arenaParts: string[] = [];
  if (g.arenaResident !== null) arenaParts.push(`arena resident ${signedBytes(g.arenaResident, b)}`);
  if (g.inUse !== null) arenaParts.push(`in use ${signedBytes(g.inUse, b)}`);
  if (g.free !== null) arenaParts.push(`free ${signedBytes(g.free, b)}`);
  if (g.arenas) arenaParts.push(`arenas +${g.arenas}`);
  if (arenaParts.length) lines.push([indent(), text(arenaParts.join('  '))]);
  const kinds = Object.entries(s.regionSummary)
    .filter(([, v]) => v && v.rss > 0)
    .sort((x, y) => y[1]!.rss - x[1]!.rss)
    .slice(0, 4)
    .map(([k, v]) => `${k} ${v!.count} (rss ${b(v!.rss)})`);
  lines.push([label('Regions'), text(`${s.regions.length} mappings; ${kinds.join('  ')}`)]);
  if (advice && advice.length > 0) {
    lines.push([]);
    advice.forEach((a, i) => lines.push([i === 0 ? label('Advice') : indent(), text(`${a.rule}: `, 'warn', true), text(a.message)]));
  }
  return lines;
}
