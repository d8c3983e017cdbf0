// Discovery is one step with one typed record (src/glibc/discover.ts): the
// version, the layout and how it was chosen, main_arena and mp_ where libc's
// own debug symbols put them. A caller that reads the same process again
// passes the record back and discovery is not redone; a record of another
// process, or of a library no longer mapped where it was, is not used. The
// TUI's sampler passes each sample's record to the next.
import { execFileSync } from 'node:child_process';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMallocSnapshot } from '../../src/engine/malloc.js';
import { sampleProcess, type SampleOptions } from '../../src/engine/sample.js';
import type { MallocDiscovery } from '../../src/glibc/discover.js';
import type { MallocSnapshot } from '../../src/model/snapshot.js';
import { App } from '../../src/tui/App.js';
import { mallocSymbols } from '../support/libcSymbols.js';
import { buildC, startNative, type RunningTarget } from '../support/nativeTarget.js';
import { waitUntil } from '../tui/helpers/demoTarget.js';

let a: RunningTarget;
let b: RunningTarget;
beforeAll(async () => {
  const bin = buildC('test/targets/reliability/busy_heap.c');
  a = await startNative(bin, ['8', '2']);
  b = await startNative(bin, ['8', '2']);
}, 60_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

/** What two reads of a parked target must agree on. */
function numbers(s: MallocSnapshot) {
  return { mainArena: s.mainArena, mallocPar: s.mallocPar, layout: s.layout, arenas: s.arenas.map((x) => ({ address: x.address, systemMem: x.systemMem, inUse: x.inUse, free: x.free, top: x.top })) };
}

describe('discovery as one record', () => {
  it('holds the version, the layout and main_arena and mp_ where the debug symbols put them', async () => {
    const { discovery } = await readMallocSnapshot(a.pid);
    const truth = mallocSymbols(a.pid, '/usr/lib/debug');
    expect(discovery.mainArena).toBe(truth.mainArena);
    expect(discovery.mallocPar).toBe(truth.mallocPar);
    expect(discovery.locatedBy).toBe('debuginfo');
    expect(discovery.layoutChosenBy).toBe('table');
    // The host's glibc, as getconf reports it ("glibc 2.36"): the targets run on it.
    const host = execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' }).trim().split(' ')[1]!;
    expect(discovery.version.text).toBe(host);
    expect(discovery.version.minor).toBe(Number(host.split('.')[1]));
    expect(discovery.heapMaxSize).toBe(64 * 1024 * 1024);
    // libc6-dbg gives the thread-local tcache pointer's TLS offset.
    expect(discovery.tcacheTlsOffset).not.toBeNull();
  });

  it('is reused when passed back for the same process, with the same numbers as a fresh read', async () => {
    const first = await readMallocSnapshot(a.pid);
    const again = await readMallocSnapshot(a.pid, { discovery: first.discovery });
    expect(again.discovery).toBe(first.discovery);
    expect(numbers(again.snapshot)).toEqual(numbers(first.snapshot));
  });

  it("is not used for another process: that one is discovered afresh, and reads as a read without it", async () => {
    const ofA = (await readMallocSnapshot(a.pid)).discovery;
    const withA = await readMallocSnapshot(b.pid, { discovery: ofA });
    const fresh = await readMallocSnapshot(b.pid);
    expect(withA.discovery).not.toBe(ofA);
    expect(numbers(withA.snapshot)).toEqual(numbers(fresh.snapshot));
    expect(withA.snapshot.mainArena).toBe(mallocSymbols(b.pid, '/usr/lib/debug').mainArena);
  });

  it('is not used when its library is no longer mapped where it was', async () => {
    const real = (await readMallocSnapshot(a.pid)).discovery;
    const moved: MallocDiscovery = { ...real, library: { ...real.library, start: real.library.start + 0x1000 }, mainArena: 0x1000 };
    const r = await readMallocSnapshot(a.pid, { discovery: moved });
    expect(r.discovery).not.toBe(moved);
    expect(r.snapshot.mainArena).toBe(real.mainArena);
  });

  it("the TUI's sampler passes each sample's discovery to the next", async () => {
    const seen: Array<MallocDiscovery | undefined> = [];
    const returned: Array<MallocDiscovery | undefined> = [];
    const sample = async (pid: number, options: SampleOptions) => {
      seen.push(options.discovery);
      const s = await sampleProcess(pid, options);
      returned.push(s.discovery);
      return s;
    };
    const app = render(<App pid={a.pid} intervalSeconds={0.2} cpuBudget={1} freeze={false} size={{ columns: 100, rows: 30 }} theme={{ color: false }} sample={sample} />);
    try {
      await waitUntil('three samples', () => (returned.length >= 3 ? true : undefined));
    } finally {
      app.unmount();
    }
    expect(seen[0]).toBeUndefined();
    expect(returned[0]).toBeDefined();
    for (let i = 1; i < 3; i++) expect(seen[i]).toBe(returned[0]);
  });
});
