// /proc/PID/maps and /proc/PID/smaps, every field, sizes in bytes.
import { readProcText } from './procfs.js';

export interface MapEntry {
  start: number;
  end: number;
  perms: string; // e.g. "rw-p"
  offset: number;
  dev: string;
  inode: number;
  path: string; // "" for anonymous mappings
}

export interface SmapsEntry extends MapEntry {
  /** Every "Name: N kB" field of smaps, converted to bytes, keyed by its name (Rss, Pss, Private_Dirty, ...). */
  fields: Record<string, number>;
  vmFlags: string[];
}

const header = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+(\S+)\s+(\d+)\s*(.*)$/;

function parseHeader(line: string): MapEntry | null {
  const m = header.exec(line);
  if (!m) return null;
  return {
    start: parseInt(m[1]!, 16),
    end: parseInt(m[2]!, 16),
    perms: m[3]!,
    offset: parseInt(m[4]!, 16),
    dev: m[5]!,
    inode: Number(m[6]),
    path: detached(m[7] ?? ''),
  };
}

/**
 * A copy of s that does not share memory with the text it was cut from: V8
 * keeps substrings of 13+ characters as views into their parent, so one path
 * kept from a 40 MB smaps text would keep the whole text alive.
 */
function detached(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/** No backing file: nameless, or named by the process with PR_SET_VMA_ANON_NAME ("[anon:...]"). */
export function isAnonymous(e: { path: string }): boolean {
  return e.path === '' || e.path.startsWith('[anon:');
}

export function parseMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of text.split('\n')) {
    const e = parseHeader(line);
    if (e) out.push(e);
  }
  return out;
}

/**
 * One canonical copy of each field name and VmFlags word: a process with tens
 * of thousands of mappings repeats the same ~25 names in each, and the parsed
 * entries must not hold a private copy (or a slice of the whole smaps text) of
 * each.
 */
const interned = new Map<string, string>();
function intern(s: string): string {
  let c = interned.get(s);
  if (c === undefined) {
    c = s;
    interned.set(s, s);
  }
  return c;
}

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66);
}

/**
 * Parses smaps in one pass over the text, without splitting it into an array
 * of lines or running a regular expression per field line: smaps of a process
 * with 60000 mappings is 1.5 million lines, and the garbage of a naive parse
 * made the inspector's peak RSS grow to several hundred MiB.
 */
export function parseSmaps(text: string): SmapsEntry[] {
  const out: SmapsEntry[] = [];
  let cur: SmapsEntry | null = null;
  // An entry's fields are collected first and made into one object at once:
  // Object.fromEntries keeps V8's fast properties, whereas ~25 properties
  // added one by one under computed names turn each object into a hash
  // table (about 1.6 KiB instead of 250 bytes, times the number of mappings).
  let pending: Array<[string, number]> = [];
  const flush = () => {
    if (cur && pending.length) cur.fields = Object.fromEntries(pending);
    pending = [];
  };
  let pos = 0;
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const lineStart = pos;
    pos = eol + 1;
    if (eol === lineStart) continue;
    // Header lines start with the (lowercase hex) start address; field names
    // ("Rss", "VmFlags", ...) start with an uppercase letter.
    if (isHexDigit(text.charCodeAt(lineStart))) {
      const h = parseHeader(text.slice(lineStart, eol));
      if (h) {
        flush();
        cur = { ...h, fields: {}, vmFlags: [] };
        out.push(cur);
      }
      continue;
    }
    if (!cur) continue;
    const colon = text.indexOf(':', lineStart);
    if (colon <= lineStart || colon >= eol) continue;
    const name = intern(text.slice(lineStart, colon));
    let i = colon + 1;
    while (i < eol && text.charCodeAt(i) === 0x20) i++;
    if (name === 'VmFlags') {
      cur.vmFlags = text.slice(i, eol).split(' ').filter(Boolean).map(intern);
      continue;
    }
    // "<digits>" or "<digits> kB", nothing else (THPeligible: 0, ProtectionKey: 0 are plain numbers).
    let value = 0;
    const digitsStart = i;
    while (i < eol) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    if (i === digitsStart) continue;
    let rest = i;
    while (rest < eol && text.charCodeAt(rest) === 0x20) rest++;
    if (rest === eol) pending.push([name, value]);
    else if (eol - rest === 2 && text.startsWith('kB', rest)) pending.push([name, value * 1024]);
  }
  flush();
  return out;
}

export function readMaps(pid: number): MapEntry[] {
  return parseMaps(readProcText(pid, 'maps'));
}

export function readSmaps(pid: number): SmapsEntry[] {
  return parseSmaps(readProcText(pid, 'smaps'));
}
