// The inspector's own memory stays bounded whatever the target's size: its
// peak resident set (VmHWM, from wait4's ru_maxrss) stays under a fixed cap
// while it dumps or scans a 2 GiB resident region, and under a cap set by the kernel's
// limit on mappings while it maps a process with tens of thousands of them.
// (Not run under the sanitizer build: ASan's shadow memory and quarantine
// would be counted.)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget as HelperTarget } from '../helpers/targets.js';
import { runCliMeasured } from '../support/inspection.js';
import { buildC, procStatus, startNative, type RunningTarget } from '../support/nativeTarget.js';

/**
 * The stated bound on the inspector's peak RSS: Node itself (~50 MiB) plus the
 * dump pipeline's read-ahead (8 chunks of 4 MiB, native/binding/dump_binding.cc)
 * with room to spare, and far below any target worth inspecting.
 */
export const inspectorRssCapKiB = 256 * 1024;

/**
 * `maps` must hold every mapping (and print them all), so its memory grows
 * with their number, about 4 KiB each; vm.max_map_count (65530 by default)
 * bounds that number, and this bounds the peak at 65530 mappings.
 */
export const mapsRssCapKiB = 384 * 1024;

const GiB = 1 << 30;

describe('inspector memory', () => {
  let big: RunningTarget;
  let dir: string;

  beforeAll(async () => {
    // region.c touches every page: 2 GiB resident in one mapping.
    big = await startNative(buildC('test/targets/foundation/region.c'), [String((2 * GiB) / 4096)]);
    dir = mkdtempSync(join(tmpdir(), 'arenascope-membound-'));
  }, 120_000);
  afterAll(async () => {
    await big?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dumping a 2 GiB resident region peaks below the cap', async () => {
    const rssKiB = Number(/^(\d+)/.exec(procStatus(big.pid).VmRSS!)![1]);
    expect(rssKiB).toBeGreaterThan((2 * GiB) / 1024 - 1024); // really resident
    const [start, end] = big.fields.map((f) => parseInt(f, 16)) as [number, number];
    const file = join(dir, 'big.bin');
    const r = await runCliMeasured(['dump', String(big.pid), `0x${start.toString(16)}`, `0x${end.toString(16)}`, '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(file).size).toBe(2 * GiB);
    rmSync(file);
    expect(r.peakRssKiB).toBeGreaterThan(10 * 1024); // a real measurement of a Node process
    expect(r.peakRssKiB).toBeLessThan(inspectorRssCapKiB);
  }, 180_000);

  it('scanning the same 2 GiB region for strings (no walk) peaks below the cap', async () => {
    const [start] = big.fields.map((f) => parseInt(f, 16)) as [number];
    const r = await runCliMeasured(['strings', String(big.pid), '--region', `0x${start.toString(16)}`, '--json', '--top', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).scanned.bytes).toBe(2 * GiB);
    expect(r.peakRssKiB).toBeLessThan(inspectorRssCapKiB);
  }, 180_000);

  describe('with tens of thousands of mappings', () => {
    let many: HelperTarget;
    beforeAll(async () => {
      many = await startTarget('many_maps', ['--maps', '60000']);
    });
    afterAll(async () => {
      await many?.stop();
    });

    it('maps of 60000 mappings peaks below the cap, as text and as JSON', async () => {
      const json = await runCliMeasured(['maps', String(many.pid), '--json']);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout).regions.length).toBeGreaterThan(60000);
      expect(json.peakRssKiB).toBeLessThan(mapsRssCapKiB);
      const table = await runCliMeasured(['maps', String(many.pid)]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout.split('\n').length).toBeGreaterThan(60000);
      expect(table.peakRssKiB).toBeLessThan(mapsRssCapKiB);
    });
  });
});
