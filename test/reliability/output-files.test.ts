// Output files on a full disk: a small tmpfs (mounted here; the tests run as
// root) that cannot hold the dump, or holds the dump but not its FILE.json.
// Either way: one line, exit 9, and neither a partial file nor a temp file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildC, runCli, startNative, type RunningTarget } from '../support/nativeTarget.js';

const page = 4096;
const hex = (n: number) => `0x${n.toString(16)}`;

describe('a dump onto a full disk', () => {
  let target: RunningTarget;
  let start: number;
  let dir: string;
  let mnt: string;

  beforeAll(async () => {
    target = await startNative(buildC('test/targets/foundation/region.c'), ['2048']); // 8 MiB
    start = parseInt(target.fields[0]!, 16);
  });
  afterAll(async () => {
    await target?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'arenascope-full-'));
    mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  });
  afterEach(() => {
    execFileSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('of 4 MiB into 1 MiB: exit 9, one line, no file and no temp file', async () => {
    const r = await runCli(['dump', String(target.pid), hex(start), `${hex(start)}+${4 << 20}`, '-o', join(mnt, 'big.bin')]);
    expect(r.code, r.stderr).toBe(9);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^arenascope: .*no space left on device/i);
    expect(readdirSync(mnt)).toEqual([]);
    // and the space is given back
    const fs = statfsSync(mnt);
    expect(fs.bfree).toBe(fs.blocks);
  });

  it('that fits but leaves no room for FILE.json: exit 9 and no dump without its record', async () => {
    // Fill the tmpfs so that exactly the dump's pages remain free.
    const dumpBytes = 64 * page;
    const fs = statfsSync(mnt);
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(fs.bfree * fs.bsize - dumpBytes));
    expect(statfsSync(mnt).bfree * statfsSync(mnt).bsize).toBe(dumpBytes);
    const r = await runCli(['dump', String(target.pid), hex(start), `${hex(start)}+${dumpBytes}`, '-o', join(mnt, 'fits.bin')]);
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no space left on device/i);
    expect(readdirSync(mnt)).toEqual(['filler']);
  });
});
