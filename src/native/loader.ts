// Loads the addon once. ARENASCOPE_ADDON points at another build (the
// sanitizer build in CI); otherwise `bindings` finds build/Release.
import { createRequire } from 'node:module';
import type { NativeAddon } from './native.js';

const require = createRequire(import.meta.url);
let cached: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (cached) return cached;
  const override = process.env.ARENASCOPE_ADDON;
  // The addon is untyped at the boundary; native.d.ts describes it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const addon: any = override ? require(override) : require('bindings')({ bindings: 'arenascope', module_root: moduleRoot() });
  cached = addon as NativeAddon;
  return cached;
}

function moduleRoot(): string {
  // dist/native/loader.js -> package root two levels up.
  return new URL('../../', import.meta.url).pathname;
}
