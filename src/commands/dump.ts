// `arenascope dump <pid> START END -o FILE`: one region of live memory to a
// file, streamed in bounded chunks by the addon, hashed on the way, written
// atomically, with FILE.json beside it.
import { writeFileSync } from 'node:fs';
import { ArenascopeError, toArenascopeError } from '../errors.js';
import { MemoryReader } from '../memory/reader.js';
import { loadNative } from '../native/loader.js';
import type { NativeHole } from '../native/native.js';
import { openTemp, refuseExisting, type TempFile } from '../output/atomicFile.js';
import { readMaps } from '../proc/maps.js';
import { withFreeze } from '../session/freeze.js';
import { preflight } from '../target/preflight.js';
import { formatBytes, formatRate, hex, parseAddressExpr } from '../util/format.js';
import { ProgressBar } from '../util/progress.js';

export interface DumpRequest {
  pid: number;
  start: number;
  end: number;
  output: string;
  force?: boolean;
  freeze?: boolean;
  /** Read swapped-out pages (swapping them in); by default they are holes. */
  readSwapped?: boolean;
  onProgress?: (bytesDone: number, total: number) => void;
}

export interface DumpRecord {
  pid: number;
  path: string;
  start: string;
  end: string;
  size: number;
  bytesRead: number;
  holes: Array<{ start: string; end: string }>;
  holeBytes: number;
  /** Pages not resident in the target (never touched or trimmed): written as zeros without reading them. */
  zeroBytes: number;
  /** Swapped-out pages, not read unless --read-swapped: written as zeros, listed among the holes. */
  swappedBytes: number;
  sha256: string;
  frozen: boolean;
  stoppedMs: number | null;
  /** How long reading the range took (hashing and writing overlap it and may run on). */
  readMs: number;
  time: string;
  durationMs: number;
}

/** Resolves START/END (hex, decimal, START+LENGTH) or --region ADDR to a range. */
export function resolveDumpRange(pid: number, startText?: string, endText?: string, regionText?: string): { start: number; end: number } {
  if (regionText !== undefined) {
    const addr = parseAddressExpr(regionText);
    if (addr === null) throw new ArenascopeError('EINVAL', `--region: not an address: ${regionText}`);
    const m = readMaps(pid).find((e) => addr >= e.start && addr < e.end);
    if (!m) throw new ArenascopeError('EINVAL', `--region: no mapping of pid ${pid} contains ${hex(addr)}`);
    return { start: m.start, end: m.end };
  }
  if (startText === undefined || endText === undefined) {
    throw new ArenascopeError('EINVAL', 'give START and END (hex, decimal or START+LENGTH) or --region ADDR');
  }
  const start = parseAddressExpr(startText);
  const end = parseAddressExpr(endText);
  if (start === null) throw new ArenascopeError('EINVAL', `START is not an address: ${startText}`);
  if (end === null) throw new ArenascopeError('EINVAL', `END is not an address: ${endText}`);
  if (end <= start) throw new ArenascopeError('EINVAL', `END (${hex(end)}) must be above START (${hex(start)})`);
  return { start, end };
}

/** The whole dump; used by the CLI and the TUI's dump view. */
export async function dumpRange(req: DumpRequest): Promise<DumpRecord> {
  const { pid, start, end, output } = req;
  const sidecar = `${output}.json`;
  refuseExisting(output, Boolean(req.force));
  refuseExisting(sidecar, Boolean(req.force));
  const reader = MemoryReader.forProcess(pid, { readSwapped: req.readSwapped });
  const t0 = process.hrtime.bigint();
  const temp = openTemp(output);
  let native;
  try {
    native = await withFreeze(pid, Boolean(req.freeze), (release) =>
      loadNative().dumpRange(reader.native, start, end, temp.fd, (done, _holes, readComplete) => {
        if (readComplete) release(); // every byte is in our buffers: the target may run on
        else req.onProgress?.(done, end - start);
      }),
    );
  } catch (err) {
    temp.discard();
    throw toArenascopeError(err, { pid });
  }
  const result = native.result;
  if (result.bytesRead === 0) {
    temp.discard();
    throw new ArenascopeError('NOTHING_READABLE', `nothing readable in ${hex(start)}-${hex(end)} of pid ${pid}`);
  }
  const holes = result.holes.map((h: NativeHole) => ({ start: hex(h.start), end: hex(h.end) }));
  const record: DumpRecord = {
    pid,
    path: output,
    start: hex(start),
    end: hex(end),
    size: end - start,
    bytesRead: result.bytesRead,
    holes,
    holeBytes: result.holes.reduce((s, h) => s + (h.end - h.start), 0),
    zeroBytes: reader.counters().zeroBytes,
    swappedBytes: reader.counters().swappedBytes,
    sha256: result.sha256,
    frozen: native.freeze !== null,
    stoppedMs: native.freeze ? native.freeze.stoppedMs : null,
    readMs: result.readNs / 1e6,
    time: new Date().toISOString(),
    durationMs: Number(process.hrtime.bigint() - t0) / 1e6,
  };
  // FILE and FILE.json appear together or not at all: the record is written to
  // its own temp file before either is renamed into place, so a disk that
  // fills up on the record leaves no dump without its record.
  let recordTemp: TempFile;
  try {
    recordTemp = openTemp(sidecar);
  } catch (err) {
    temp.discard();
    throw err;
  }
  try {
    writeFileSync(recordTemp.fd, JSON.stringify(record, null, 2) + '\n');
  } catch (err) {
    recordTemp.discard();
    temp.discard();
    const e = err as NodeJS.ErrnoException;
    throw new ArenascopeError(e.code === 'ENOSPC' || e.code === 'EDQUOT' ? e.code : 'EIO', `cannot write ${sidecar}: ${e.message}`, e.errno ? -e.errno : 0);
  }
  try {
    temp.commit();
  } catch (err) {
    recordTemp.discard();
    throw err;
  }
  recordTemp.commit();
  return record;
}

export interface DumpCliOptions {
  output?: string;
  region?: string;
  force?: boolean;
  freeze?: boolean;
  json?: boolean;
  readSwapped?: boolean;
}

export async function runDump(pid: number, startText: string | undefined, endText: string | undefined, opts: DumpCliOptions): Promise<void> {
  if (!opts.output) throw new ArenascopeError('EINVAL', 'missing -o FILE');
  preflight(pid);
  const { start, end } = resolveDumpRange(pid, startText, endText, opts.region);
  const bar = new ProgressBar('dump', end - start);
  const rec = await dumpRange({ pid, start, end, output: opts.output, force: opts.force, freeze: opts.freeze, readSwapped: opts.readSwapped, onProgress: (d) => bar.update(d) });
  bar.finish();
  if (opts.json) {
    process.stdout.write(JSON.stringify(rec, null, 2) + '\n');
    return;
  }
  const holeText = rec.holes.length ? `, ${rec.holes.length} unreadable range(s) (${formatBytes(rec.holeBytes)}) written as zeros` : '';
  const zeroText = rec.zeroBytes ? `, ${formatBytes(rec.zeroBytes)} not resident (zeros, not read)` : '';
  const swapText = rec.swappedBytes ? `, ${formatBytes(rec.swappedBytes)} swapped out (not read; --read-swapped reads them)` : '';
  const freezeText = rec.frozen
    ? `; target stopped for ${rec.stoppedMs!.toFixed(1)} ms (the read took ${rec.readMs.toFixed(1)} ms)`
    : '; target not stopped';
  process.stdout.write(
    `wrote ${rec.path}: ${formatBytes(rec.size)} from ${rec.start}-${rec.end}${holeText}${zeroText}${swapText}\n` +
      `sha256 ${rec.sha256}\n` +
      `${formatRate(rec.size, rec.durationMs / 1000)} in ${rec.durationMs.toFixed(0)} ms${freezeText}; details in ${rec.path}.json\n`,
  );
}
