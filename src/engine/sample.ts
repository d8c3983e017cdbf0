// sampleProcess: one consistent look at a process for the TUI and the report.
// TEMPORARY: the arena engine is being integrated; until then malloc is null
// and mallocError says so.
import type { ProcessSnapshot } from '../model/snapshot.js';
import { readCmdline, readComm } from '../proc/status.js';
import { readRegionMap } from '../target/regionMap.js';

export interface SampleOptions {
  freeze?: boolean;
  withBins?: boolean;
  withHistogram?: boolean;
}

export async function sampleProcess(pid: number, _options: SampleOptions = {}): Promise<ProcessSnapshot> {
  const map = readRegionMap(pid);
  return {
    pid,
    takenAt: Date.now(),
    comm: readComm(pid),
    cmdline: readCmdline(pid),
    status: map.status,
    threads: map.threads,
    regions: map.regions,
    regionSummary: map.summary,
    malloc: null,
    allocator: { allocator: 'unknown', evidence: 'not yet detected', libcPath: null, glibcVersion: null },
    mallocError: 'arena engine not integrated yet',
  };
}
