// The classified region map of a live process: smaps + threads + heap_info
// reads, tolerant of the process changing underneath (threads vanish, maps
// move) and precise about it disappearing altogether.
import { MemoryReader } from '../memory/reader.js';
import { readSmaps } from '../proc/maps.js';
import { readStatus, type ProcessStatus } from '../proc/status.js';
import { readThreads, type ThreadInfo } from '../proc/threads.js';
import { classifyRegions, summarizeByKind, type ClassifyOptions, type KindSummary } from '../regions/classify.js';
import type { Region, RegionKind } from '../regions/kinds.js';

export { regionContaining } from '../regions/kinds.js';

export interface RegionMap {
  pid: number;
  status: ProcessStatus;
  threads: ThreadInfo[];
  regions: Region[];
  summary: Partial<Record<RegionKind, KindSummary>>;
  /** anonHugePages: smaps AnonHugePages summed (part of rss). */
  totals: { size: number; rss: number; anonHugePages: number };
}

export function readRegionMap(pid: number, reader = MemoryReader.forProcess(pid), options: ClassifyOptions = {}): RegionMap {
  const status = readStatus(pid);
  const threads = readThreads(pid);
  const smaps = readSmaps(pid);
  const regions = classifyRegions(smaps, threads, reader, pid, options);
  return {
    pid,
    status,
    threads,
    regions,
    summary: summarizeByKind(regions),
    totals: {
      size: regions.reduce((s, r) => s + r.size, 0),
      rss: regions.reduce((s, r) => s + r.rss, 0),
      anonHugePages: regions.reduce((s, r) => s + r.anonHugePages, 0),
    },
  };
}
