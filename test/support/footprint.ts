// What a target holds in memory, measured without reading its memory:
// /proc/PID/maps for where its arena heaps are, /proc/PID/pagemap for which of
// their pages are present (bit 63; a read-faulted zero page counts too, which
// is the point), /proc/PID/smaps for Rss, /proc/PID/status for RssAnon.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const pageSize = 4096;
/** HEAP_MAX_SIZE on 64-bit: 2 * DEFAULT_MMAP_THRESHOLD_MAX (glibc malloc/arena.c). */
const heapMax = 64 * 1024 * 1024;

interface MapLine {
  start: number;
  end: number;
  perms: string;
  path: string;
}

function readMapLines(pid: number): MapLine[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(/\s+/);
      const [s, e] = f[0]!.split('-');
      return { start: parseInt(s!, 16), end: parseInt(e!, 16), perms: f[1]!, path: f.slice(5).join(' ') };
    });
}

/**
 * [heap] and the read-write part of every thread-arena heap: an anonymous rw-p
 * range starting at a heap_max-aligned address and followed by that heap's
 * ---p reserve up to base + heap_max (glibc maps heap_max PROT_NONE and
 * mprotects its front: arena.c new_heap/grow_heap). A heap grown to the whole
 * heap_max has no reserve left and is not found; the targets here never grow one
 * that far.
 */
export function arenaHeapRanges(pid: number): Array<{ start: number; end: number }> {
  const maps = readMapLines(pid);
  const out: Array<{ start: number; end: number }> = [];
  for (const [i, m] of maps.entries()) {
    if (m.path === '[heap]') {
      out.push({ start: m.start, end: m.end });
      continue;
    }
    if (m.perms !== 'rw-p' || m.path !== '') continue;
    const base = Math.ceil(m.start / heapMax) * heapMax;
    if (base >= m.end) continue;
    const next = maps[i + 1];
    // The reserve ends exactly heap_max after the base (a thread stack's guard page, the other ---p neighbour, does not).
    if (!next || next.start !== m.end || next.perms !== '---p' || next.end !== base + heapMax) continue;
    out.push({ start: base, end: m.end });
  }
  return out;
}

function pagemapEntries(pid: number, start: number, end: number): Buffer {
  const pages = Math.ceil((end - start) / pageSize);
  const buf = Buffer.alloc(pages * 8);
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  try {
    readSync(fd, buf, 0, buf.length, Math.floor(start / pageSize) * 8);
  } finally {
    closeSync(fd);
  }
  return buf;
}

function countEntries(buf: Buffer, highBit: number): number {
  let n = 0;
  for (let i = 0; i < buf.length / 8; i++) if (buf.readUInt32LE(i * 8 + 4) & highBit) n++;
  return n;
}

/** Pages of [start, end) present in RAM (pagemap bit 63). */
export function presentPages(pid: number, start: number, end: number): number {
  return countEntries(pagemapEntries(pid, start, end), 0x80000000);
}

/** Pages of [start, end) in swap (pagemap bit 62). */
export function swappedPages(pid: number, start: number, end: number): number {
  return countEntries(pagemapEntries(pid, start, end), 0x40000000);
}

/** Rss (kB) of the smaps entry that contains address. */
function smapsRssKb(pid: number, address: number): number {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  let inside = false;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (head) {
      inside = address >= parseInt(head[1]!, 16) && address < parseInt(head[2]!, 16);
      continue;
    }
    if (inside && line.startsWith('Rss:')) return Number(/(\d+)/.exec(line)![1]);
  }
  throw new Error(`no smaps entry of pid ${pid} holds 0x${address.toString(16)}`);
}

export interface Footprint {
  heaps: Array<{ start: number; end: number; presentPages: number; rssKb: number }>;
  rssAnonKb: number;
}

export function anonFootprint(pid: number, heaps: Array<{ start: number; end: number }>): Footprint {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssAnonKb = Number(/^RssAnon:\s*(\d+)/m.exec(status)![1]);
  return {
    heaps: heaps.map((h) => ({ ...h, presentPages: presentPages(pid, h.start, h.end), rssKb: smapsRssKb(pid, h.start) })),
    rssAnonKb,
  };
}
