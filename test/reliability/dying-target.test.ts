// Targets that die or change under the inspector while it reads them: a clear
// one-line error with the "no such process" exit code and no partial output
// when the target is killed mid-dump; a complete dump with holes where memory
// was unmapped mid-read.
import { closeSync, mkdtempSync, openSync, readSync, readdirSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';

const MiB = 1 << 20;
let target: RunningTarget | undefined;

afterEach(async () => {
  await target?.stop();
  target = undefined;
});

/** Resolves once a temp file in dir has at least minBytes (the dump is under way). */
function whenTempFileGrows(dir: string, minBytes: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      for (const name of readdirSync(dir)) {
        if (!name.endsWith('.tmp')) continue;
        try {
          if (statSync(join(dir, name)).size >= minBytes) {
            clearInterval(poll);
            watcher.close();
            resolve();
            return;
          }
        } catch {
          // renamed or removed meanwhile
        }
      }
    };
    const watcher = watch(dir, check);
    const poll = setInterval(check, 2);
  });
}

async function startShrinkingRegion(mib: number): Promise<{ t: RunningTarget; start: number; end: number }> {
  const t = await startNative(buildC('test/targets/reliability/shrinking_region.c'), [String(mib)]);
  const [start, end] = t.fields.map((f) => parseInt(f, 16)) as [number, number];
  return { t, start, end };
}

describe('a target that dies mid-dump', () => {
  it('exits 3 with one line naming the process, and leaves neither the file nor a temp file', async () => {
    const { t, start, end } = await startShrinkingRegion(1024);
    target = t;
    const dir = mkdtempSync(join(tmpdir(), 'arenascope-dies-'));
    const file = join(dir, 'dying.bin');
    let killedAt = -1;
    const run = runCli(['dump', String(t.pid), `0x${start.toString(16)}`, `0x${end.toString(16)}`, '-o', file]);
    // Kill once the dump has really started writing, far from its end.
    await whenTempFileGrows(dir, 8 * MiB);
    const written = readdirSync(dir).filter((n) => n.endsWith('.tmp')).map((n) => statSync(join(dir, n)).size);
    killedAt = Math.max(...written);
    process.kill(t.pid, 'SIGKILL');
    const r = await run;
    expect(killedAt).toBeLessThan(end - start);
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^arenascope: process ${t.pid} has exited`));
    expect(r.stdout).toBe('');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a region unmapped while it is being dumped', () => {
  it('completes with the unmapped part as holes, the rest as it was', async () => {
    const { t, start, end } = await startShrinkingRegion(512);
    target = t;
    const half = start + (end - start) / 2;
    const dir = mkdtempSync(join(tmpdir(), 'arenascope-unmap-'));
    const file = join(dir, 'shrinking.bin');
    let unmapped = '';
    t.child.stdout!.on('data', (d: Buffer) => {
      const m = /UNMAPPED (0x[0-9a-f]+)/.exec(d.toString());
      if (m) unmapped = m[1]!;
    });
    const run = runCli(['dump', String(t.pid), `0x${start.toString(16)}`, `0x${end.toString(16)}`, '-o', file, '--json']);
    await whenTempFileGrows(dir, 4 * MiB);
    t.child.stdin!.write('unmap\n');
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(unmapped).toBe(`0x${half.toString(16)}`);
    const meta = JSON.parse(r.stdout);
    expect(statSync(file).size).toBe(end - start);
    // The reader runs at most 64 MiB ahead of the writer, and the writer had
    // written 4 MiB when the unmap was asked for: most of the upper half is a
    // hole, which ends exactly at the region's end; nothing below it is.
    expect(meta.holes.length).toBeGreaterThan(0);
    const holes = meta.holes.map((h: { start: string; end: string }) => ({ start: parseInt(h.start, 16), end: parseInt(h.end, 16) }));
    for (const h of holes) expect(h.start).toBeGreaterThanOrEqual(half);
    expect(holes.at(-1).end).toBe(end);
    expect(meta.holeBytes).toBeGreaterThan((end - half) / 2);
    expect(meta.bytesRead + meta.holeBytes).toBe(end - start);
    // Every MiB stamp below the unmapped half is intact.
    const fd = openSync(file, 'r');
    try {
      const stamp = Buffer.alloc(8);
      for (let off = 0; off < half - start; off += MiB) {
        readSync(fd, stamp, 0, 8, off);
        expect(stamp.readBigUInt64LE(0)).toBe(BigInt(off) ^ 0x5a5a5a5a00000000n);
      }
      // what became a hole reads as zeros
      const hole = Buffer.alloc(MiB, 0xff);
      readSync(fd, hole, 0, MiB, holes[0].start - start);
      expect(hole.every((b) => b === 0)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});
