// vitest setup file of the sanitizer run only (scripts/test-sanitized.mjs):
// this worker was started with libasan preloaded; nothing it starts should be,
// except the CLI (see sanitizer.ts).
import { sanitizerPreloadVariable } from './sanitizer.js';

if (process.env[sanitizerPreloadVariable] && process.env.LD_PRELOAD === process.env[sanitizerPreloadVariable]) {
  delete process.env.LD_PRELOAD;
}

// Every test in this run must drive the sanitized addon: one that loaded
// build/Release by path would pass here unchecked (it happened: four test
// files under test/native did, and an overflow the fuzzer found went unseen).
// So loading any other arenascope.node is an error, raised in the test that
// does it.
const sanitizedAddon = process.env.ARENASCOPE_ADDON;
if (sanitizedAddon) {
  const dlopen = process.dlopen.bind(process);
  // Arguments passed on as given: node calls it with two, and an explicit
  // undefined flags argument is "invalid mode for dlopen()".
  process.dlopen = (...args: Parameters<typeof process.dlopen>): void => {
    const filename = args[1];
    if (filename.endsWith('arenascope.node') && filename !== sanitizedAddon) {
      throw new Error(`sanitizer run: ${filename} is not the sanitized addon; load it through src/native/loader.ts`);
    }
    dlopen(...args);
  };
}
