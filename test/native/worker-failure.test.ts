// Every entry point that reads, driven over a source whose reads throw
// (the test addon's failingSource, native/testing/testing_failures.cc): each
// failure must come back as a rejected promise (or a thrown error for the
// synchronous ones) with a code src/errors.ts knows and its own one-line
// message, never end the process (a std::bad_alloc in the dump's reader thread
// once did) and never become a generic EIO. The test addon runs the production
// modules' code (binding.gyp: both link arenascope_core).
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, ExitCode, toArenascopeError, type ErrorCode } from '../../src/errors.js';
import type { NativeFailureKind } from './nativeTest.js';
import { knownLayouts, testAddon } from './testAddon.js';

const layout = knownLayouts().at(-1)!.layout;
// Any address: the failing source throws on every read before looking at it.
const page = 0x1000;

/** Each entry point, with the task its messages name (promise_worker.h, js_errors.h). */
const entryPoints: Array<{ name: string; task: string; call: (kind: NativeFailureKind) => Promise<unknown> }> = [
  { name: 'MemorySource.read', task: 'reading memory', call: async (k) => testAddon.failingSource(k).read(page, 64) },
  { name: 'MemorySource.readAsync', task: 'reading memory', call: (k) => testAddon.failingSource(k).readAsync(page, 64) },
  {
    name: 'dumpRange',
    task: 'reading memory to dump',
    call: async (k) => {
      const fd = openSync('/dev/null', 'w');
      try {
        return await testAddon.dumpRange(testAddon.failingSource(k), page, 3 * page, fd);
      } finally {
        closeSync(fd);
      }
    },
  },
  { name: 'walkArenas', task: 'walking the arenas', call: (k) => testAddon.walkArenas(testAddon.failingSource(k), layout, { mainArena: page, mp: 2 * page }) },
  { name: 'scanForMainArena', task: 'scanning for main_arena', call: (k) => testAddon.scanForMainArena(testAddon.failingSource(k), page, 4 * page, layout) },
  {
    name: 'scanStrings',
    task: 'scanning strings',
    call: (k) => testAddon.scanStrings(testAddon.failingSource(k), [{ start: page, end: 4 * page }], { minLength: 6, encoding: 'ascii', top: 5, samples: 5 }),
  },
  { name: 'scanForMallocPar', task: 'scanning for mp_', call: (k) => testAddon.scanForMallocPar(testAddon.failingSource(k), page, 4 * page, layout) },
  { name: 'readHeapInfo', task: 'reading heap_info', call: async (k) => testAddon.readHeapInfo(testAddon.failingSource(k), page, layout) },
];

async function failure(call: () => Promise<unknown>): Promise<{ code: unknown; errno: unknown; message: string }> {
  try {
    await call();
  } catch (err) {
    const e = err as { code?: unknown; errno?: unknown; message: string };
    return { code: e.code, errno: e.errno, message: e.message };
  }
  throw new Error('it did not fail');
}

describe.each(entryPoints)('$name over a failing source', ({ call, task }) => {
  it('reports std::bad_alloc as ENOMEM, "out of memory while <task>", exit code 11', async () => {
    const f = await failure(() => call('bad_alloc'));
    // errno 12: ENOMEM on Linux (asm-generic/errno-base.h).
    expect(f).toEqual({ code: 'ENOMEM', errno: 12, message: `out of memory while ${task}` });
    expect(toArenascopeError(f).exitCode).toBe(ExitCode.outOfMemory);
  });

  it('reports any other exception as EINTERNAL naming the task and the exception, exit code 1', async () => {
    expect(await failure(() => call('exception'))).toEqual({
      code: 'EINTERNAL',
      errno: 0,
      message: `internal error while ${task}: injected failure (a bug in arenascope)`,
    });
    expect(await failure(() => call('non-exception'))).toEqual({
      code: 'EINTERNAL',
      errno: 0,
      message: `internal error while ${task}: an exception that is not a std::exception (a bug in arenascope)`,
    });
    expect(toArenascopeError(await failure(() => call('exception'))).exitCode).toBe(ExitCode.internal);
  });

  it('passes each code of the source on unchanged, to the exit code errors.ts gives it', async () => {
    for (const code of testAddon.errorCodes()) {
      const f = await failure(() => call(code as NativeFailureKind));
      expect(f).toEqual({ code, errno: 0, message: `injected ${code} failure` });
      const mapped = toArenascopeError(f);
      expect(mapped.code).toBe(code);
      expect(mapped.exitCode).toBe(exitCodeOf(code as ErrorCode));
    }
  });
});
