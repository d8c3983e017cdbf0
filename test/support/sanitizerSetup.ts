// vitest setup file of the sanitizer run only (scripts/test-sanitized.mjs):
// this worker was started with libasan preloaded; nothing it starts should be,
// except the CLI (see sanitizer.ts).
import { afterAll } from 'vitest';
import { sanitizerPreloadVariable } from './sanitizer.js';

if (process.env[sanitizerPreloadVariable] && process.env.LD_PRELOAD === process.env[sanitizerPreloadVariable]) {
  delete process.env.LD_PRELOAD;
}

// Every test in this run must drive the sanitized addons: one that loaded
// build/Release by path would pass here unchecked (it happened: four test
// files under test/native did, and an overflow the fuzzer found went unseen).
// So loading any other arenascope.node or arenascope_test.node is an error,
// raised in the test that does it.
const sanitized = new Map([
  ['arenascope.node', process.env.ARENASCOPE_ADDON],
  ['arenascope_test.node', process.env.ARENASCOPE_TEST_ADDON],
]);
if (process.env.ARENASCOPE_ADDON) {
  const dlopen = process.dlopen.bind(process);
  // Arguments passed on as given: node calls it with two, and an explicit
  // undefined flags argument is "invalid mode for dlopen()".
  process.dlopen = (...args: Parameters<typeof process.dlopen>): void => {
    const filename = args[1];
    for (const [name, path] of sanitized) {
      if (filename.endsWith(`/${name}`) && filename !== path) {
        throw new Error(`sanitizer run: ${filename} is not the sanitized ${name}; load it through src/native/loader.ts or test/native/testAddon.ts`);
      }
    }
    dlopen(...args);
  };
}

// Leaks in this worker. vitest ends its workers with SIGTERM, so LeakSanitizer's
// own check at exit never runs in them (it does in the CLI processes the tests
// start, which exit normally). So the check runs here, after the file's own
// afterAll hooks (setup-file hooks run last), through the sanitized test addon.
// A leak is reported into the run's log directory, which fails the run, and
// fails this file too.
afterAll(async () => {
  const { testAddon } = await import('../native/testAddon.js');
  if (!testAddon.leakCheck) throw new Error('sanitizer run: the test addon has no leakCheck (not a sanitizer build?)');
  if (testAddon.leakCheck() !== 0) throw new Error('LeakSanitizer found leaks in this test file (its report is in the sanitizer log directory)');
});
