import { defineConfig } from 'vitest/config';

/**
 * Against a deployment (`E2E_BASE_URL=… npm run test:e2e`), the e2e files that need only its API and the
 * stacks' outputs (tables, queues). The others need what only the local cloud has, and run wherever it does
 * (CI): leader-election runs 60× faster than wall time, strangler-routes deploys its own routing table,
 * reliability crashes workers, takes SNS down and restarts the cloud, local-cloud tests `npm start` itself,
 * and console drives a browser beside the cloud it starts.
 */
const REMOTE_CAPABLE = ['order-queries', 'order-commands', 'payments', 'strangler'].map((name) => `test/e2e/${name}.e2e.test.ts`);

export default defineConfig({
  test: {
    include: process.env.E2E_BASE_URL ? REMOTE_CAPABLE : ['test/**/*.test.ts'],
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
