// `arenascope maps <pid>`: pmap -x, classified.
import { ArenascopeError } from '../errors.js';
import { isRegionKind, regionKinds, type Region, type RegionKind } from '../regions/kinds.js';
import { preflight } from '../target/preflight.js';
import { readRegionMap, type RegionMap } from '../target/regionMap.js';
import { formatBytes, hex } from '../util/format.js';
import { renderTable, type Column } from '../util/table.js';

export interface MapsOptions {
  json?: boolean;
  sort?: string;
  kind?: string;
}

export function regionToJson(r: Region) {
  return {
    start: hex(r.start),
    end: hex(r.end),
    perms: r.perms,
    offset: r.offset,
    path: r.path,
    kind: r.kind,
    size: r.size,
    rss: r.rss,
    pss: r.pss,
    privateDirty: r.privateDirty,
    anonymous: r.anonymous,
    swap: r.swap,
    anonHugePages: r.anonHugePages,
    arena: r.arena === null ? null : hex(r.arena),
    tid: r.tid,
    heaps: r.heaps.map((h) => ({ base: hex(h.base), arena: hex(h.arena), size: h.size, mprotectSize: h.mprotectSize, heapMax: h.heapMax })),
    mmappedChunks: r.mmappedChunks,
  };
}

export function sortRegions(regions: Region[], sort: string): Region[] {
  const sorted = [...regions];
  if (sort === 'size') sorted.sort((a, b) => b.size - a.size || a.start - b.start);
  else if (sort === 'rss') sorted.sort((a, b) => b.rss - a.rss || a.start - b.start);
  else sorted.sort((a, b) => a.start - b.start);
  return sorted;
}

export function mapsJson(map: RegionMap, regions: Region[]) {
  return {
    pid: map.pid,
    regions: regions.map(regionToJson),
    summary: map.summary,
    totals: map.totals,
  };
}

/** ", 2.00 MiB in huge pages" where transparent huge pages back some of the resident bytes; nothing otherwise. */
const thpNote = (bytes: number): string => (bytes > 0 ? `  ${formatBytes(bytes)} in huge pages` : '');

function summaryLines(map: RegionMap): string[] {
  const lines: string[] = [];
  for (const kind of regionKinds) {
    const s = map.summary[kind];
    if (!s) continue;
    if (kind === 'arena-heap') {
      const heaps = map.regions.filter((r) => r.kind === kind).flatMap((r) => r.heaps);
      const reserved = heaps.reduce((t, h) => t + h.heapMax, 0);
      lines.push(`${kind.padEnd(14)} ${String(heaps.length).padStart(5)} blocks  ${formatBytes(reserved)} reserved  ${formatBytes(s.rss)} resident${thpNote(s.anonHugePages)}`);
    } else {
      lines.push(`${kind.padEnd(14)} ${String(s.count).padStart(5)} maps    ${formatBytes(s.size)} mapped  ${formatBytes(s.rss)} resident${thpNote(s.anonHugePages)}`);
    }
  }
  lines.push(`${'total'.padEnd(14)} ${String(map.regions.length).padStart(5)} maps    ${formatBytes(map.totals.size)} mapped  ${formatBytes(map.totals.rss)} resident${thpNote(map.totals.anonHugePages)}`);
  return lines;
}

/**
 * The table's columns. THP (smaps AnonHugePages: resident bytes in transparent huge pages)
 * appears only when some listed mapping has any, so a process without THP prints the same
 * table as before the column existed.
 */
export function mapsColumns(regions: Region[]): Column<Region>[] {
  const thp = regions.some((r) => r.anonHugePages > 0);
  return [
    { header: 'Address', value: (r) => r.start.toString(16).padStart(12, '0') },
    { header: 'Size', value: (r) => formatBytes(r.size), align: 'right' },
    { header: 'RSS', value: (r) => formatBytes(r.rss), align: 'right' },
    ...(thp ? [{ header: 'THP', value: (r: Region) => (r.anonHugePages > 0 ? formatBytes(r.anonHugePages) : ''), align: 'right' as const }] : []),
    { header: 'Dirty', value: (r) => formatBytes(r.privateDirty + r.sharedDirty), align: 'right' },
    { header: 'Swap', value: (r) => formatBytes(r.swap), align: 'right' },
    { header: 'Mode', value: (r) => r.perms },
    { header: 'Kind', value: (r) => r.kind },
    { header: 'Mapping', value: (r) => (r.arena !== null ? `${r.path || '[anon]'} arena ${hex(r.arena)}` : r.tid !== null && r.kind !== 'stack' ? `[thread ${r.tid}]` : r.path || '[anon]') },
  ];
}

export function renderMaps(map: RegionMap, regions: Region[]): string {
  return `${renderTable(regions, mapsColumns(regions))}\n\n${summaryLines(map).join('\n')}`;
}

export async function runMaps(pid: number, opts: MapsOptions): Promise<void> {
  const sort = opts.sort ?? 'addr';
  if (!['addr', 'size', 'rss'].includes(sort)) throw new ArenascopeError('EINVAL', `--sort must be addr, size or rss (got ${sort})`);
  let kind: RegionKind | undefined;
  if (opts.kind !== undefined) {
    if (!isRegionKind(opts.kind)) throw new ArenascopeError('EINVAL', `--kind must be one of ${regionKinds.join(', ')}`);
    kind = opts.kind;
  }
  preflight(pid);
  const map = readRegionMap(pid);
  const regions = sortRegions(kind ? map.regions.filter((r) => r.kind === kind) : map.regions, sort);
  if (opts.json) {
    process.stdout.write(JSON.stringify(mapsJson(map, regions), null, 2) + '\n');
    return;
  }
  process.stdout.write(`${renderMaps(map, regions)}\n`);
}
