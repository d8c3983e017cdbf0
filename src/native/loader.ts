// Loads the addon once. ARENASCOPE_ADDON points at another build (the
// sanitizer build in CI); otherwise `bindings` finds build/Release.
import { createRequire } from 'node:module';
import { packageRoot } from '../util/packageRoot.js';
import type { NativeAddon } from './native.js';

const require = createRequire(import.meta.url);
let cached: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (cached) return cached;
  // `bindings` only finds the file (path: true): loading through it would add
  // a `path` key to the exports, which native.d.ts does not declare.
  const file: string = process.env.ARENASCOPE_ADDON ?? require('bindings')({ bindings: 'arenascope', module_root: packageRoot(), path: true });
  // The addon is untyped at the boundary; native.d.ts describes it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const addon: any = require(file);
  cached = addon as NativeAddon;
  return cached;
}
