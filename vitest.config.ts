import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Integration files each boot a local cloud (a JVM among them): on 2 cores, one at a time is fastest.
    fileParallelism: false,
    pool: 'forks',
    // fauxqs uses node:sqlite, which Node 22 flags as experimental on every start.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/reporters/summary-line.ts'],
  },
});
