/**
 * `npm test`: the type check and every test, on the 2 cores in two phases.
 *
 * 1. Side by side: the type check (`tsc -p .`), the lint (ESLint, with the layer rule) and the format
 *    check (Prettier), the unit and infra files (`pure` and `infra`, which need no cloud), and the synthesis of both
 *    apps that the cloud files start from (test/global-setup.ts). Each is CPU for a few seconds to a few
 *    tens of seconds; together they take about the longest one's time instead of their sum.
 * 2. The integration and e2e files (`cloud`), one at a time and alone on the machine: each boots a local
 *    cloud (a JVM among them), several time things, and two clouds at once would only slow each other.
 * Vitest itself cannot run two projects' files side by side with one worker each (it puts every
 * single-worker project into one sequential queue), hence the processes. Output of phase 1 is printed whole
 * as each part ends; the cloud lane's streams. The run ends with one summary line over every lane and fails
 * if any part failed. Arguments go to both vitest lanes (`npm test -- -t breaker`).
 */
import { spawn } from 'node:child_process';
import synthesizeTestApps from '../test/global-setup.ts';

interface Lane {
  readonly name: string;
  readonly command: string[];
  /** Streams its output as it comes; the others print theirs whole when they end. */
  readonly live?: boolean;
}

const passThrough = process.argv.slice(2);
const typecheck: Lane = { name: 'typecheck', command: ['tsc', '-p', '.'] };
const lint: Lane = { name: 'lint', command: ['eslint', '.'] };
const format: Lane = { name: 'format', command: ['prettier', '--check', '--log-level', 'warn', '.'] };
const pure: Lane = {
  name: 'pure',
  command: ['vitest', 'run', '--project', 'pure', '--project', 'infra', '--passWithNoTests', ...passThrough],
};
const cloud: Lane = { name: 'cloud', command: ['vitest', 'run', '--project', 'cloud', '--passWithNoTests', ...passThrough], live: true };

/** What one lane's summary reporter printed last: `vitest: N passed, N failed, N skipped`. */
const SUMMARY = /^vitest: (\d+) passed, (\d+) failed, (\d+) skipped$/m;

function runLane(lane: Lane): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(lane.command[0]!, lane.command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
    });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (lane.live) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code, signal) => {
      if (!lane.live) process.stdout.write(`\n── ${lane.name} (${lane.command.join(' ')}) ──\n${output}\n`);
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

const synthesis = synthesizeTestApps().then(
  () => ({ code: 0, output: '' }),
  (error: unknown) => {
    process.stdout.write(`\n── synthesis ──\n${String(error)}\n`);
    return { code: 1, output: '' };
  },
);
const [typechecked, linted, formatted, pureTested, synthesized] = await Promise.all([
  runLane(typecheck),
  runLane(lint),
  runLane(format),
  runLane(pure),
  synthesis,
]);
// The cloud lane's own global setup then finds both assemblies current and synthesizes nothing.
const lanes: [Lane, { code: number; output: string }][] = [
  [typecheck, typechecked],
  [lint, linted],
  [format, formatted],
  [pure, pureTested],
  [{ name: 'synthesis', command: ['test/global-setup.ts'] }, synthesized],
  [cloud, synthesized.code === 0 ? await runLane(cloud) : { code: 1, output: '' }],
];
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const [lane, { code, output }] of lanes) {
  const summary = [...output.matchAll(new RegExp(SUMMARY, 'gm'))].at(-1);
  if (summary) {
    totals.passed += Number(summary[1]);
    totals.failed += Number(summary[2]);
    totals.skipped += Number(summary[3]);
  }
  // A lane that failed without a failing test (tsc, a crash, no summary) still fails the run, as one failure.
  if (code !== 0 && (!summary || Number(summary[2]) === 0)) {
    process.stdout.write(`${lane.name} exited with ${code}\n`);
    totals.failed += 1;
  }
}
process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exitCode = lanes.some(([, result]) => result.code !== 0) ? 1 : 0;
