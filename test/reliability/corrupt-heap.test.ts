// A target that corrupts its own heap (test/targets/corrupt.c) after its last
// allocation: overwritten chunk sizes, a cycle in a small bin, a wild or
// looping fastbin, a tcache entry pointing outside every heap. arenas and
// strings finish (the test timeout bounds them), exit 0, keep their anomaly
// lists bounded, and name the damage where it is.
import { afterEach, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../helpers/targets.js';
import { runCli } from '../support/nativeTarget.js';

interface Anomaly {
  kind: string;
  address: string | null;
  detail: string;
}

const modes: Array<{ mode: string; field: string; kind: string; where: 'address' | 'detail'; wild?: boolean }> = [
  { mode: 'size-huge', field: 'sizeHuge', kind: 'chunk-size-invalid', where: 'address' },
  { mode: 'size-zero', field: 'sizeZero', kind: 'chunk-size-zero', where: 'address' },
  // the damaged chunk's bk points back into the bin: the break is reported at its neighbour, naming it
  { mode: 'smallbin-cycle', field: 'smallbinCycle', kind: 'bin-link-broken', where: 'detail' },
  { mode: 'fastbin-wild', field: 'fastbinWild', kind: 'fastbin-outside-heap', where: 'address', wild: true },
  { mode: 'fastbin-cycle', field: 'fastbinCycle', kind: 'fastbin-cycle', where: 'address' },
  { mode: 'tcache-wild', field: 'tcacheWild', kind: 'tcache-list-broken', where: 'detail', wild: true },
];

function allAnomalies(out: { arenas: Array<{ anomalies: Anomaly[] }>; anomalies: Anomaly[] }): Anomaly[] {
  return [...out.anomalies, ...out.arenas.flatMap((a) => a.anomalies)];
}

let target: RunningTarget | undefined;
afterEach(async () => {
  await target?.stop();
  target = undefined;
});

describe('a heap its own process corrupted', () => {
  for (const m of modes) {
    for (const arena of ['main', 'thread']) {
      it(`${m.mode} in the ${arena} arena: arenas names it, strings still scans`, async () => {
        target = await startTarget('corrupt', ['--mode', m.mode, '--arena', arena]);
        const damaged = m.wild ? target.ready.wild! : target.ready[m.field]!;
        expect(damaged).toMatch(/^0x[0-9a-f]+$/);
        const r = await runCli(['arenas', String(target.pid), '--json', '--bins']);
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        for (const a of out.arenas) expect(a.anomalies.length).toBeLessThanOrEqual(256);
        const found = allAnomalies(out).filter((x) => x.kind === m.kind);
        expect(found.length, JSON.stringify(allAnomalies(out))).toBeGreaterThan(0);
        if (m.where === 'address') expect(found.map((x) => x.address)).toContain(damaged);
        else expect(found.some((x) => x.detail.includes(damaged))).toBe(true);
        const s = await runCli(['strings', String(target.pid), '--json', '--top', '5']);
        expect(s.code, s.stderr).toBe(0);
        expect(JSON.parse(s.stdout).scanned.bytes).toBeGreaterThan(0);
      });
    }
  }

  it('an arena whose lock stays held is flagged approximate, alone, with or without --freeze', async () => {
    target = await startTarget('corrupt', ['--mode', 'lock-held', '--arena', 'thread']);
    const locked = Number(target.ready.lockedArena);
    expect(locked).toBeGreaterThan(0);
    for (const extra of [[], ['--freeze']]) {
      const r = await runCli(['arenas', String(target.pid), '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { arenas: Array<{ address: string; approximate: boolean; inUse: { chunks: number } }> };
      expect(out.arenas.length).toBe(2);
      for (const a of out.arenas) expect(a.approximate, a.address).toBe(Number(a.address) === locked);
      expect(out.arenas.find((a) => Number(a.address) === locked)!.inUse.chunks).toBeGreaterThan(0);
    }
    const text = await runCli(['arenas', String(target.pid)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/numbers approximate\. Use --freeze/);
  });

  it('counts every anomaly by kind, root causes before what follows from them, examples capped per kind', async () => {
    // The chunk walk stops at the huge size; every tcache and fastbin member
    // past it is then "off the walked chunks": a cascade of consequences.
    target = await startTarget('corrupt', ['--mode', 'size-huge,smallbin-cycle,fastbin-wild,fastbin-cycle,tcache-wild', '--arena', 'thread']);
    const r = await runCli(['arenas', String(target.pid), '--json']);
    expect(r.code, r.stderr).toBe(0);
    interface Counted {
      kind: string;
      count: number;
      consequence: boolean;
    }
    const out = JSON.parse(r.stdout) as {
      anomalies: Anomaly[];
      anomalyCounts: Counted[];
      arenas: Array<{ anomalies: Anomaly[]; anomalyCounts: Counted[]; anomalyTotal: number }>;
    };
    const arena = out.arenas.find((a) => a.anomalyTotal > 0)!;
    const counts = arena.anomalyCounts;
    // Every root cause planted in this arena is there, each counted.
    for (const kind of ['chunk-size-invalid', 'bin-link-broken', 'fastbin-outside-heap', 'fastbin-cycle']) {
      const c = counts.find((x) => x.kind === kind);
      expect(c, kind).toBeDefined();
      expect(c!.consequence, kind).toBe(false);
    }
    // The tcache entry pointing outside every heap is a root cause too (found with the tcache, outside any arena).
    expect(out.anomalyCounts.find((x) => x.kind === 'tcache-list-broken')).toMatchObject({ consequence: false });
    // The cascade is counted in full but shows at most four examples.
    const cascade = counts.find((x) => x.kind === 'member-off-boundary')!;
    expect(cascade.consequence).toBe(true);
    expect(cascade.count).toBeGreaterThan(4);
    expect(arena.anomalies.filter((a) => a.kind === 'member-off-boundary')).toHaveLength(4);
    expect(counts.reduce((t, c) => t + c.count, 0)).toBe(arena.anomalyTotal);
    // Root causes first, in the counts and in the examples.
    const firstConsequence = counts.findIndex((c) => c.consequence);
    expect(counts.slice(firstConsequence).every((c) => c.consequence)).toBe(true);
    const kinds = new Map(counts.map((c) => [c.kind, c.consequence]));
    const exampleOrder = arena.anomalies.map((a) => kinds.get(a.kind));
    expect(exampleOrder.indexOf(true)).toBeGreaterThan(0);
    expect(exampleOrder.slice(exampleOrder.indexOf(true)).every((c) => c === true)).toBe(true);
    // The text report names every kind with its count, root causes as their own lines.
    const text = await runCli(['arenas', String(target.pid)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`\\n  then in 0x[0-9a-f]+: ${cascade.count} member-off-boundary first at`));
    expect(text.stdout).toMatch(/anomaly in 0x[0-9a-f]+: 1 chunk-size-invalid first at/);
  });

  for (const glibc of ['2.31', '2.41', '2.43', '2.44']) {
    it(`every kind of damage at once under glibc ${glibc}`, async () => {
      // 2.43 removed fastbins; its tcaches may hold mmapped chunks, but a wild entry is still damage.
      const fastbins = Number(glibc.split('.')[1]) < 43;
      const planted = modes.filter((m) => fastbins || !m.mode.startsWith('fastbin-'));
      target = await startTarget('corrupt', ['--mode', planted.map((m) => m.mode).join(','), '--arena', 'thread'], { glibc });
      const r = await runCli(['arenas', String(target.pid), '--json', '--bins', '--histogram']);
      expect(r.code, r.stderr).toBe(0);
      const kinds = new Set(allAnomalies(JSON.parse(r.stdout)).map((x) => x.kind));
      for (const kind of [...(fastbins ? ['fastbin-outside-heap', 'fastbin-cycle'] : []), 'bin-link-broken', 'tcache-list-broken']) {
        expect([...kinds], kind).toContain(kind);
      }
      // The chunk walk stops at the first impossible size (size-huge lies
      // before size-zero in the heap), so one of the two shows.
      expect(kinds.has('chunk-size-invalid') || kinds.has('chunk-size-zero')).toBe(true);
      const s = await runCli(['strings', String(target.pid), '--json']);
      expect(s.code, s.stderr).toBe(0);
    });
  }
});
