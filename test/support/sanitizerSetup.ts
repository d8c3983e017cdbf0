// vitest setup file of the sanitizer run only (scripts/test-sanitized.mjs):
// this worker was started with libasan preloaded; nothing it starts should be,
// except the CLI (see sanitizer.ts).
import { sanitizerPreloadVariable } from './sanitizer.js';

if (process.env[sanitizerPreloadVariable] && process.env.LD_PRELOAD === process.env[sanitizerPreloadVariable]) {
  delete process.env.LD_PRELOAD;
}
