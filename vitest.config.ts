import type { Plugin } from 'vite';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * Against a deployment (`E2E_BASE_URL=… npm run test:e2e`), the e2e files that need only its API and the
 * stacks' outputs (tables, queues). The others need what only the local cloud has, and run wherever it does
 * (CI): leader-election runs 60× faster than wall time, strangler-routes deploys its own routing table,
 * reliability crashes workers, takes SNS down and restarts the cloud, local-cloud tests `npm start` itself,
 * console drives a browser beside the cloud it starts, and demo runs `npm run demo` against a 60× cloud.
 */
const REMOTE_CAPABLE = ['order-queries', 'order-commands', 'payments', 'strangler'].map((name) => `test/e2e/${name}.e2e.test.ts`);

/**
 * The cloud files that wait on a clock more than they compute: a 60× time scale (leases, turns, the payment
 * timeout, visibility timeouts), a breaker's cool-downs, a provider's latency, an outage waited out, a
 * reshard's settle time, change capture's once-a-second poll of legacy (the strangler's cut-over). They
 * hold the CPU for under half their run, and their timing matters, so `npm test` runs them in a lane of
 * their own at the cloud's full priority, beside the lane of the files that compute (the load, the
 * restarts, the fuzz), which runs a step lower.
 */
const CLOCK_BOUND = [
  'test/e2e/leader-election.e2e.test.ts',
  'test/e2e/demo.e2e.test.ts',
  'test/e2e/payments.e2e.test.ts',
  'test/e2e/strangler.e2e.test.ts',
  'test/e2e/legacy-cutover.e2e.test.ts',
  'test/e2e/order-queries.e2e.test.ts',
  'test/integration/pub-sub.int.test.ts',
  'test/integration/circuit-breaker.int.test.ts',
];
const CLOUD_FILES = ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'scripts/local-cloud/test/**/*.int.test.ts'];

/** A page bundled as text (esbuild's `text` loader, lib/constructs/handler-bundles.ts) loads as text in a test too. */
const htmlAsText: Plugin = {
  name: 'html-as-text',
  enforce: 'pre',
  transform: (code, id) => (id.endsWith('.html') ? `export default ${JSON.stringify(code)};` : undefined),
};

/** One file at a time, each in a child process of its own. */
const lane = (name: string, include: string[], extra: TestProjectInlineConfiguration['test'] = {}): TestProjectInlineConfiguration => ({
  plugins: [htmlAsText],
  test: {
    name,
    include,
    fileParallelism: false,
    pool: 'forks',
    // fauxqs uses node:sqlite, which Node 22 flags as experimental on every start.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    ...extra,
  },
});

/**
 * Four projects: `cloud` and `cloud-clock`, the files that boot a local cloud (the apps synthesized once
 * before them); `pure`, the unit files; `infra`, the template's. `npm test` (scripts/test.ts) runs each
 * cloud project in a vitest process of its own and `pure` then `infra` in a third, side by side; a bare
 * `vitest run` runs them one after the other.
 */
export default defineConfig({
  test: {
    projects: process.env.E2E_BASE_URL
      ? [lane('deployment', REMOTE_CAPABLE, { setupFiles: ['test/setup/api-answers.ts'] })]
      : [
          lane('cloud', CLOUD_FILES, {
            exclude: [...configDefaults.exclude, ...CLOCK_BOUND],
            globalSetup: ['test/global-setup.ts'],
            setupFiles: ['test/setup/api-answers.ts'],
          }),
          lane('cloud-clock', CLOCK_BOUND, { globalSetup: ['test/global-setup.ts'], setupFiles: ['test/setup/api-answers.ts'] }),
          lane('pure', ['test/unit/**/*.test.ts', 'scripts/local-cloud/test/**/*.unit.test.ts']),
          // One process for every infra file, modules shared: the stack is synthesized once (test/helpers/stack.ts), not once a file.
          lane('infra', ['test/infra/**/*.test.ts'], { isolate: false }),
        ],
    reporters: ['default', './test/reporters/summary-line.ts'],
  },
});
