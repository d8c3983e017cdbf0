// Reads everything the oracle target records about itself into its --out directory.
import fs from 'node:fs';
import path from 'node:path';
import { parseMallocInfo, type MallocInfo } from './mallocInfo.js';
import { parseAddress, readLive, readTsv, type LiveAllocation } from './live.js';

export interface ClassCount {
  chunkSize: number;
  count: number;
}

/** What the scenario predicts for one thread's tcache and arena (fresh arena, default tunables). */
export interface ThreadExpectation {
  thread: number;
  keepCount: number;
  keepBytes: number;
  mmappedCount: number;
  mmappedRequested: number;
  bulkBytes: number;
  /** Every chunk freed into a coalescing bin had its own guard chunk right after it. */
  layoutVerified: boolean;
  tcache: ClassCount[];
  fastbins: ClassCount[];
  unsorted: ClassCount[];
  smallbins: ClassCount[];
  largebins: ClassCount[];
}

export interface PlantSpec {
  text: string;
  encoding: 'ascii' | 'utf16';
  state: 'kept' | 'freed';
  count: number;
}

export interface OracleInfo {
  glibcVersion: string;
  pid: number;
  /** 1 for the snapshot taken before READY, +1 per trim/record command. */
  snapshot: number;
  workers: number;
  /** The glibc facts its predictions use: tcache chunks per bin (7; 16 from 2.43). */
  tcacheFill: number;
  /** Largest chunk freed into a fastbin (0x80; 0 from 2.43, which has no fastbins). */
  fastbinMaxChunk: number;
  /** Bytes of an mmapped chunk's mapping past chunk + chunksize (0; 16 from 2.43). */
  mmapTrailer: number;
  /** malloc-family calls while the snapshot was taken (must be 0). */
  mallocCallsDuringSnapshot: number;
  /** malloc-family calls since every thread parked (must be 0). */
  mallocCallsSinceParked: number;
  /** free/realloc of pointers the recorder never saw (0 proves nothing escaped it). */
  foreignFrees: number;
  tableOverflow: boolean;
  liveCount: number;
  mallocInfoTruncated: boolean;
  /** malloc_trim(0)'s return value after a `trim` command, else null. */
  trimResult: number | null;
  straddleMissed: number;
  plantSpecs: PlantSpec[];
  expect: ThreadExpectation[];
}

export interface MallinfoTruth {
  source: 'mallinfo2' | 'mallinfo';
  arena: number;
  ordblks: number;
  smblks: number;
  hblks: number;
  hblkhd: number;
  usmblks: number;
  fsmblks: number;
  uordblks: number;
  fordblks: number;
  keepcost: number;
}

export interface FreedChunk {
  ptr: number;
  requested: number;
  chunk: number;
  thread: number;
  /** Which scenario step freed it: bins-tcache, bins-small, bins-large, tcache-full, ... */
  what: string;
}

export interface PlantedString {
  /** Address of the first byte of the text. */
  addr: number;
  bytes: number;
  encoding: 'ascii' | 'utf16';
  state: 'kept' | 'freed' | 'straddle' | 'region-end';
  thread: number;
  /** Index into info.plantSpecs; -1 straddle text, -2 region-end text. */
  spec: number;
  chunk: number;
  vmaStart: number;
  vmaEnd: number;
}

export interface TargetThread {
  index: number;
  tid: number;
  role: 'main' | 'worker' | 'heartbeat';
  /**
   * The thread's own TLS `tcache` pointer (tcache_perthread_struct, user pointer), as it
   * read it: 0 before its first malloc (2.26-2.42), libc's const __tcache_dummy before its
   * first small free (2.43+); null when the oracle was not told where the variable is.
   */
  tcache: number | null;
}

export interface OracleTruth {
  info: OracleInfo;
  mallocInfoXml: string;
  mallocInfo: MallocInfo;
  mallinfo: MallinfoTruth;
  live: LiveAllocation[];
  freed: FreedChunk[];
  plants: PlantedString[];
  threads: TargetThread[];
}

export function readTruth(outDir: string): OracleTruth {
  const read = (name: string) => fs.readFileSync(path.join(outDir, name), 'utf8');
  const mallocInfoXml = read('malloc_info.xml');
  return {
    info: JSON.parse(read('info.json')) as OracleInfo,
    mallocInfoXml,
    mallocInfo: parseMallocInfo(mallocInfoXml),
    mallinfo: JSON.parse(read('mallinfo2.json')) as MallinfoTruth,
    live: readLive(outDir),
    freed: readTsv(path.join(outDir, 'freed.tsv')).map((r) => ({
      ptr: parseAddress(r.ptr),
      requested: parseAddress(r.requested),
      chunk: parseAddress(r.chunk),
      thread: parseAddress(r.thread),
      what: r.what ?? '',
    })),
    plants: readTsv(path.join(outDir, 'plants.tsv')).map((r) => ({
      addr: parseAddress(r.addr),
      bytes: parseAddress(r.bytes),
      encoding: r.encoding as PlantedString['encoding'],
      state: r.state as PlantedString['state'],
      thread: parseAddress(r.thread),
      spec: Number(r.spec),
      chunk: parseAddress(r.chunk),
      vmaStart: parseAddress(r.vma_start),
      vmaEnd: parseAddress(r.vma_end),
    })),
    threads: readTsv(path.join(outDir, 'threads.tsv')).map((r) => ({
      index: Number(r.index),
      tid: Number(r.tid),
      role: r.role as TargetThread['role'],
      tcache: r.tcache === 'none' ? null : parseAddress(r.tcache),
    })),
  };
}
