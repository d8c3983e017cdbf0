// The one-pass smaps parser (src/proc/maps.ts, lean enough for 65530
// mappings) gives exactly what a plain line-by-line reading gives, on the
// smaps of real processes with file, anonymous, special and huge mappings.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSmaps } from '../../src/proc/maps.js';
import { startTarget, type RunningTarget } from '../helpers/targets.js';

/** Straightforward reading of smaps: split lines, a regex per line. */
function referenceParse(text: string) {
  const header = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+(\S+)\s+(\d+)\s*(.*)$/;
  const out: Array<Record<string, unknown> & { fields: Record<string, number>; vmFlags: string[] }> = [];
  for (const line of text.split('\n')) {
    const m = header.exec(line);
    if (m) {
      out.push({ start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), perms: m[3], offset: parseInt(m[4]!, 16), dev: m[5], inode: Number(m[6]), path: m[7] ?? '', fields: {}, vmFlags: [] });
      continue;
    }
    const cur = out.at(-1);
    const f = /^(\w+):\s*(.*)$/.exec(line);
    if (!cur || !f) continue;
    if (f[1] === 'VmFlags') cur.vmFlags = f[2]!.split(/\s+/).filter(Boolean);
    else if (/^\d+ kB$/.test(f[2]!)) cur.fields[f[1]!] = parseInt(f[2]!, 10) * 1024;
    else if (/^\d+$/.test(f[2]!)) cur.fields[f[1]!] = parseInt(f[2]!, 10);
  }
  return out;
}

describe('parseSmaps', () => {
  let oracle: RunningTarget;
  beforeAll(async () => {
    oracle = await startTarget('oracle', ['--threads', '3', '--free-pattern', 'mmapped']);
  });
  afterAll(async () => {
    await oracle?.stop();
  });

  it('agrees with a line-by-line reading, field for field', () => {
    for (const pid of [process.pid, oracle.pid]) {
      const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
      const parsed = parseSmaps(text);
      const reference = referenceParse(text);
      expect(parsed.length).toBeGreaterThan(10);
      expect(parsed.map((e) => ({ ...e }))).toEqual(reference);
      expect(parsed.some((e) => e.path.endsWith('.so.6') || e.path.includes('libc'))).toBe(true);
      expect(parsed.every((e) => typeof e.fields.Rss === 'number' && e.vmFlags.length > 0)).toBe(true);
    }
  });
});
