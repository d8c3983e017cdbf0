// Types for scripts/build-addon.mjs (imported by test/setup/global.ts).
export function buildAddon(options?: { dir?: string; env?: Record<string, string>; verbose?: boolean }): string;
export const withTestAddon: Record<string, string>;
