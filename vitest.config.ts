import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Builds every C target and fetches every glibc release once (targets run under 2.31 / 2.41), so tests run offline after.
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // 2 cores: real target processes plus the test workers must share them.
    maxWorkers: 2,
  },
});
