/**
 * `npm test`: the type check, the lint, the format check and every test, on the 2 cores.
 *
 * The integration and e2e files (`cloud`) are the long part: one at a time, each boots a local cloud (a JVM
 * among them), and two clouds at once would only slow each other. They start as soon as the synthesis of
 * both apps they read (test/global-setup.ts) is done. Beside them, at a lower CPU priority (`nice`), run
 * the type check (`tsc -p .`), the lint (ESLint, with the layer rule), the format check (Prettier) and the
 * unit and infra files (`pure`, then `infra`, which need no cloud): a cloud file waits on timers and I/O
 * for about half its time, and these fill that half without taking the cloud's CPU when it needs it.
 * Vitest itself cannot run two projects' files side by side with one worker each (it puts every
 * single-worker project into one sequential queue), hence the processes. The cloud lane's output streams;
 * the others' is printed whole as each ends. The run ends with one summary line over every lane and fails
 * if any part failed. Arguments go to both vitest lanes (`npm test -- -t breaker`).
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import synthesizeTestApps from '../test/global-setup.ts';

interface Lane {
  readonly name: string;
  readonly command: string[];
  /** Runs at a lower CPU priority than the cloud lane. */
  readonly background?: boolean;
  /** Streams its output as it comes; the others print theirs whole when they end. */
  readonly live?: boolean;
}

const passThrough = process.argv.slice(2);
const typecheck: Lane = { name: 'typecheck', command: ['tsc', '-p', '.'], background: true };
const lint: Lane = { name: 'lint', command: ['eslint', '.'], background: true };
const format: Lane = { name: 'format', command: ['prettier', '--check', '--log-level', 'warn', '.'], background: true };
const pure: Lane = {
  name: 'pure',
  command: ['vitest', 'run', '--project', 'pure', '--project', 'infra', '--passWithNoTests', ...passThrough],
  background: true,
};
const cloud: Lane = { name: 'cloud', command: ['vitest', 'run', '--project', 'cloud', '--passWithNoTests', ...passThrough], live: true };

/** A niceness the cloud lane's processes (at 0) always win the CPU from. */
const BACKGROUND_PRIORITY = 10;

/** What one lane's summary reporter printed last: `vitest: N passed, N failed, N skipped`. */
const SUMMARY = /^vitest: (\d+) passed, (\d+) failed, (\d+) skipped$/m;

function runLane(lane: Lane): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(lane.command[0]!, lane.command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
    });
    // Set before the lane starts its own workers, which inherit it. A lane already gone needs none.
    if (lane.background && child.pid) {
      try {
        setPriority(child.pid, BACKGROUND_PRIORITY);
      } catch {
        // exited before it could be lowered: nothing left to slow the cloud lane down
      }
    }
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
// The cloud lane's own global setup then finds both assemblies current and synthesizes nothing.
const cloudTested = synthesis.then((synthesized) => (synthesized.code === 0 ? runLane(cloud) : { code: 1, output: '' }));
const [typechecked, linted, formatted, pureTested, synthesized] = await Promise.all([
  runLane(typecheck),
  runLane(lint),
  runLane(format),
  runLane(pure),
  synthesis,
]);
const lanes: [Lane, { code: number; output: string }][] = [
  [typecheck, typechecked],
  [lint, linted],
  [format, formatted],
  [pure, pureTested],
  [{ name: 'synthesis', command: ['test/global-setup.ts'] }, synthesized],
  [cloud, await cloudTested],
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
