// Loads the test addon (nativeTest.d.ts). ARENASCOPE_TEST_ADDON points at
// another build (the sanitizer run's, scripts/test-sanitized.mjs); otherwise
// build/Release/arenascope_test.node, which test/setup/global.ts builds.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { LayoutEntry } from './scenarios.js';
import type { NativeTestAddon } from './nativeTest.js';

const require = createRequire(import.meta.url);
export const testAddonPath = process.env.ARENASCOPE_TEST_ADDON ?? join(import.meta.dirname, '..', '..', 'build', 'Release', 'arenascope_test.node');
const loaded: unknown = require(testAddonPath);
export const testAddon = loaded as NativeTestAddon;

/** The C++ layout table with its fields typed: its names are MallocLayout's (native/ptmalloc/malloc_layout.h's field list). */
export function knownLayouts(): LayoutEntry[] {
  return testAddon.knownMallocLayouts() as unknown as LayoutEntry[];
}
