// `arenascope strings <pid>`: what fills the arenas, counted, located, attributed.
import { readFileSync } from 'node:fs';
import { ArenascopeError } from '../errors.js';
import { scanTargetStrings } from '../engine/strings.js';
import { defaultStringScanOptions, type StringScanOptions, type StringScanResult, type StringSelection } from '../model/strings.js';
import { readsNote } from '../output/readsNote.js';
import { formatBytes, hex, parseAddressExpr, percent } from '../util/format.js';
import { ProgressBar } from '../util/progress.js';
import { renderTable } from '../util/table.js';

export interface StringsCliOptions {
  json?: boolean;
  region?: string;
  range?: string;
  arena?: string;
  allArenas?: boolean;
  suspicious?: string | boolean;
  baseline?: string;
  live?: boolean;
  free?: boolean;
  minLen?: string;
  encoding?: string;
  grep?: string;
  top?: string;
  samples?: string;
  redact?: boolean;
  readSwapped?: boolean;
}

/** Text shown in the table: one line, at most `width` characters, with the full length when cut. */
export function displayText(text: string, length: number, width = 60): string {
  const oneLine = text.replace(/[\t\r\n]/g, ' ');
  if (oneLine.length <= width && length <= oneLine.length) return oneLine;
  return `${oneLine.slice(0, width - 1)}… (${length} chars)`;
}

function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new ArenascopeError('EINVAL', `${name} must be a positive integer`);
  return Number(text);
}

function address(text: string, name: string): number {
  const a = parseAddressExpr(text);
  if (a === null) throw new ArenascopeError('EINVAL', `${name}: not an address: ${text}`);
  return a;
}

export function parseSelection(o: StringsCliOptions): StringSelection {
  const chosen = [o.region, o.range, o.arena, o.allArenas, o.suspicious].filter((x) => x !== undefined && x !== false);
  if (chosen.length > 1) throw new ArenascopeError('EINVAL', 'choose one of --region, --range, --arena, --all-arenas, --suspicious');
  if (o.region !== undefined) return { kind: 'region', address: address(o.region, '--region') };
  if (o.range !== undefined) {
    const [s, e] = o.range.split(/[-,: ]/).filter(Boolean);
    if (!s || !e) throw new ArenascopeError('EINVAL', '--range takes START-END (END may be START+LENGTH)');
    const start = address(s, '--range');
    const end = address(e, '--range');
    if (end <= start) throw new ArenascopeError('EINVAL', '--range: END must be above START');
    return { kind: 'range', start, end };
  }
  if (o.arena !== undefined) return { kind: 'arena', address: address(o.arena, '--arena') };
  if (o.allArenas) return { kind: 'arenas' };
  if (o.suspicious !== undefined && o.suspicious !== false) {
    return { kind: 'suspicious', top: o.suspicious === true ? 3 : positiveInt(o.suspicious, '--suspicious', 3) };
  }
  return { kind: 'default' };
}

export function parseScanOptions(o: StringsCliOptions): StringScanOptions {
  if (o.live && o.free) throw new ArenascopeError('EINVAL', 'choose --live or --free, not both');
  const encoding = o.encoding ?? defaultStringScanOptions.encoding;
  if (!['ascii', 'utf16le', 'both'].includes(encoding)) throw new ArenascopeError('EINVAL', '--encoding must be ascii, utf16le or both');
  if (o.grep !== undefined) {
    try {
      new RegExp(o.grep);
    } catch (e) {
      throw new ArenascopeError('EINVAL', `--grep: ${(e as Error).message}`);
    }
  }
  return {
    minLength: positiveInt(o.minLen, '--min-len', defaultStringScanOptions.minLength),
    encoding: encoding as StringScanOptions['encoding'],
    top: positiveInt(o.top, '--top', defaultStringScanOptions.top),
    samples: o.samples === '0' ? 0 : positiveInt(o.samples, '--samples', defaultStringScanOptions.samples),
    ...(o.grep !== undefined ? { grep: o.grep } : {}),
    filter: o.live ? 'live' : o.free ? 'free' : 'all',
    redact: Boolean(o.redact),
    readSwapped: Boolean(o.readSwapped),
  };
}

/** A baseline from an earlier `arenascope maps --json`: resident bytes by mapping start. */
function readBaseline(path: string): Map<number, number> {
  let doc: { regions?: Array<{ start: string; rss: number }> };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ArenascopeError('EINVAL', `--baseline ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(doc.regions)) throw new ArenascopeError('EINVAL', `--baseline ${path}: not the output of 'arenascope maps --json'`);
  return new Map(doc.regions.map((r) => [parseInt(r.start, 16), r.rss]));
}

/** JSON text of a string, at most 4 KiB. */
const jsonTextLimit = 4096;

export function stringsJson(r: StringScanResult) {
  return {
    pid: r.pid,
    scanned: { ranges: r.scanned.ranges.map((x) => ({ start: hex(x.start), end: hex(x.end) })), bytes: r.scanned.bytes },
    stringsFound: r.stringsFound,
    approximate: r.approximate,
    strings: r.strings.map((s) => ({ text: s.text.slice(0, jsonTextLimit), count: s.count, bytes: s.bytes })),
    samples: r.samples.map((s) => ({
      address: hex(s.address),
      text: s.text.slice(0, jsonTextLimit),
      length: s.length,
      chunk: s.chunk ? { start: hex(s.chunk.start), size: s.chunk.size, inUse: s.chunk.inUse } : null,
      arena: s.arena === null ? null : hex(s.arena),
    })),
    bySizeClass: r.bySizeClass,
    reads: r.reads,
  };
}

function renderText(r: StringScanResult): string {
  const total = r.bySizeClass.reduce((t, c) => t + c.stringBytes, 0);
  const lines = [
    `scanned ${formatBytes(r.scanned.bytes)} in ${r.scanned.ranges.length} range(s): ${r.stringsFound} strings${r.approximate ? ' (counts approximate: too many distinct strings, heavy hitters kept)' : ''}`,
    '',
    renderTable(r.strings, [
      { header: 'Count', value: (s) => String(s.count), align: 'right' },
      { header: 'Bytes', value: (s) => formatBytes(s.bytes), align: 'right' },
      { header: 'String', value: (s) => displayText(s.text, s.text.length) },
    ]),
  ];
  if (r.samples.length) {
    lines.push(
      '',
      'samples:',
      renderTable(r.samples, [
        { header: 'Address', value: (s) => hex(s.address) },
        { header: 'Chunk', value: (s) => (s.chunk ? `${hex(s.chunk.start)} ${hex(s.chunk.size)} ${s.chunk.inUse ? 'in use' : 'free'}` : '-') },
        { header: 'Arena', value: (s) => (s.arena === null ? '-' : hex(s.arena)) },
        { header: 'Text', value: (s) => displayText(s.text, s.length, 50) },
      ]),
    );
  }
  const note = readsNote(r.reads);
  if (note) lines.push('', note);
  if (total > 0) {
    const top = [...r.bySizeClass].sort((a, b) => b.stringBytes - a.stringBytes).slice(0, 5);
    lines.push('', 'string bytes by chunk size:', ...top.map((c) => `  ${percent(c.stringBytes, total).padStart(6)} in ${hex(c.chunkSize)} chunks (${formatBytes(c.stringBytes)})`));
  }
  return lines.join('\n');
}

export async function runStrings(pid: number, o: StringsCliOptions): Promise<void> {
  const selection = parseSelection(o);
  const options = parseScanOptions(o);
  const baseline = o.baseline ? readBaseline(o.baseline) : undefined;
  let bar: ProgressBar | null = null;
  const result = await scanTargetStrings(
    pid,
    selection,
    options,
    (done, total) => {
      bar ??= new ProgressBar('scan', total);
      bar.update(done);
    },
    baseline ? { baseline } : {},
  );
  (bar as ProgressBar | null)?.finish();
  process.stdout.write((o.json ? JSON.stringify(stringsJson(result), null, 2) : renderText(result)) + '\n');
}
