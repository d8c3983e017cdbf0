// The addon as the tests in this folder drive it: loaded the way the CLI loads
// it (src/native/loader.ts), so the sanitizer run's ARENASCOPE_ADDON reaches
// these tests too, and untyped, because they feed it hostile input (corrupt
// layouts, bad options) that native.d.ts rightly forbids.
import { loadNative } from '../../src/native/loader.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const addon: any = loadNative();
