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
    path: m[7] ?? '',
  };
}

export function parseMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of text.split('\n')) {
    const e = parseHeader(line);
    if (e) out.push(e);
  }
  return out;
}

export function parseSmaps(text: string): SmapsEntry[] {
  const out: SmapsEntry[] = [];
  let cur: SmapsEntry | null = null;
  for (const line of text.split('\n')) {
    const h = parseHeader(line);
    if (h) {
      cur = { ...h, fields: {}, vmFlags: [] };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    const rest = line.slice(colon + 1).trim();
    if (name === 'VmFlags') {
      cur.vmFlags = rest.split(/\s+/).filter(Boolean);
      continue;
    }
    const m = /^(\d+)(?:\s+kB)?$/.exec(rest);
    if (m) cur.fields[name] = rest.endsWith('kB') ? Number(m[1]) * 1024 : Number(m[1]);
  }
  return out;
}

export function readMaps(pid: number): MapEntry[] {
  return parseMaps(readProcText(pid, 'maps'));
}

export function readSmaps(pid: number): SmapsEntry[] {
  return parseSmaps(readProcText(pid, 'smaps'));
}
