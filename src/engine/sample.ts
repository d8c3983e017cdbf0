// sampleProcess: one consistent look at a process for the TUI and the report:
// the classified region map, and the malloc snapshot when the target uses
// glibc malloc. A failing arena walk does not hide the regions: it becomes
// mallocError. A vanished or forbidden target still throws (ESRCH, EPERM),
// and so does a cancelled walk (ECANCELED: the caller no longer wants it).
import { toArenascopeError } from '../errors.js';
import { detectAllocator } from '../glibc/allocator.js';
import type { ProcessSnapshot } from '../model/snapshot.js';
import { readCmdline, readComm, readEnviron } from '../proc/status.js';
import { readRegionMap } from '../target/regionMap.js';
import { readMallocSnapshot } from './malloc.js';
import type { MallocDiscovery } from '../glibc/discover.js';

export interface SampleOptions {
  freeze?: boolean;
  withBins?: boolean;
  withHistogram?: boolean;
  /** Page residency per arena and the malloc_trim estimate (the report). */
  withResidency?: boolean;
  /** The heap map of one arena (the TUI's arena detail). */
  heapMap?: { arena: number; cells: number };
  useDebuginfo?: boolean;
  debugDirs?: string[];
  /** Read swapped-out pages (swapping them in); by default they are not read. */
  readSwapped?: boolean;
  /** Aborting it cancels the walk. */
  signal?: AbortSignal;
  /** An earlier sample's discovery of this pid (ProcessSnapshot.discovery): reused while it holds. */
  discovery?: MallocDiscovery;
}

export async function sampleProcess(pid: number, options: SampleOptions = {}): Promise<ProcessSnapshot> {
  const regionMap = readRegionMap(pid);
  const maps = regionMap.regions.map((r) => ({ start: r.start, end: r.end, perms: r.perms, offset: r.offset, dev: '', inode: 0, path: r.path }));
  let allocator = detectAllocator(maps, readEnviron(pid));
  let malloc: ProcessSnapshot['malloc'] = null;
  let mallocError: string | null = null;
  let discovery: MallocDiscovery | undefined;
  try {
    const r = await readMallocSnapshot(pid, { ...options, regionMap });
    malloc = r.snapshot;
    allocator = r.snapshot.allocator;
    discovery = r.discovery;
  } catch (err) {
    const e = toArenascopeError(err, { pid });
    if (e.code === 'ESRCH' || e.code === 'EPERM' || e.code === 'EACCES' || e.code === 'ECANCELED') throw e;
    mallocError = e.message;
  }
  return {
    pid,
    takenAt: Date.now(),
    comm: readComm(pid),
    cmdline: readCmdline(pid),
    status: regionMap.status,
    threads: regionMap.threads,
    regions: regionMap.regions,
    regionSummary: regionMap.summary,
    malloc,
    allocator,
    mallocError,
    ...(discovery ? { discovery } : {}),
  };
}
