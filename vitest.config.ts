import { defineConfig } from 'vitest/config';

// One runner for every test: unit, property, CLI (real processes), HTTP on 127.0.0.1 and
// Playwright-in-Chromium tests all live under test/ and run here.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: crypto-heavy files would only fight each other past two workers.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
