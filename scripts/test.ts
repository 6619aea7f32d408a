/**
 * `npm test`: the type check, the lint, the format check and every test, on the 2 cores.
 *
 * The integration and e2e files are the long part: each boots a local cloud (a JVM among them). They run in
 * two lanes of one file at a time, which start as soon as the synthesis of both apps they read
 * (test/global-setup.ts) is done: `cloud-clock`, the files that mostly wait on a clock (leases at a 60×
 * time scale, cool-downs, outages) and whose timing matters, at full priority; and `cloud`, the files that
 * compute (the load, the restarts, the fuzz), one step lower (`nice`), so that a clock-bound file always
 * gets the CPU it asks for and the computing files take the rest. Beside them, lower still, run the type
 * check (`tsc -p .`), the lint (ESLint, with the layer rule), the format check (Prettier) and the unit and
 * infra files (`pure`, then `infra`, which need no cloud). Vitest itself cannot run two projects' files
 * side by side with one worker each (it puts every single-worker project into one sequential queue), hence
 * the processes. The `cloud` lane's output streams; the others' is printed whole as each ends. The run
 * ends with one summary line over every lane and fails if any part failed. Arguments go to every vitest
 * lane (`npm test -- -t breaker`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { javaOrExit, unusedGrantsIn } from '@eightfold/local-cloud';
import synthesizeTestApps from '../test/global-setup.ts';

// DynamoDB Local's Java first: found, installed where the machine allows (root, apt-get), or one line and exit 2.
javaOrExit((line) => process.stdout.write(`${line}\n`));

interface Lane {
  readonly name: string;
  readonly command: string[];
  /** Its niceness: 0 is the machine's default, higher yields the CPU to lower. */
  readonly niceness: number;
  /** Streams its output as it comes; the others print theirs whole when they end. */
  readonly live?: boolean;
}

/** The clock-bound cloud files first, the computing ones a step behind, the checks behind both. */
const CLOCK_BOUND = 0;
const COMPUTING = 5;
const CHECKS = 10;

const passThrough = process.argv.slice(2);
const vitest = (...projects: string[]) => [
  'vitest',
  'run',
  ...projects.flatMap((p) => ['--project', p]),
  '--passWithNoTests',
  ...passThrough,
];
const typecheck: Lane = { name: 'typecheck', command: ['tsc', '-p', '.'], niceness: CHECKS };
const lint: Lane = { name: 'lint', command: ['eslint', '.'], niceness: CHECKS };
const format: Lane = { name: 'format', command: ['prettier', '--check', '--log-level', 'warn', '.'], niceness: CHECKS };
const pure: Lane = { name: 'pure', command: vitest('pure', 'infra'), niceness: CHECKS };
const cloud: Lane = { name: 'cloud', command: vitest('cloud'), niceness: COMPUTING, live: true };
const cloudClock: Lane = { name: 'cloud-clock', command: vitest('cloud-clock'), niceness: CLOCK_BOUND };

/** What one lane's summary reporter printed last: `vitest: N passed, N failed, N skipped`. */
const SUMMARY = /^vitest: (\d+) passed, (\d+) failed, (\d+) skipped$/m;

function runLane(lane: Lane): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(lane.command[0]!, lane.command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
    });
    // Set before the lane starts its own workers, which inherit it. A lane already gone needs none.
    if (lane.niceness !== 0 && child.pid) {
      try {
        setPriority(child.pid, lane.niceness);
      } catch {
        // exited before it could be lowered: nothing left to slow the other lanes down
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

// Every local cloud the lanes start writes, on stop, what its roles were granted and used: together they show
// the grants of Eightfold's roles that no test used, the leads for least privilege (a report, never a failure).
const GRANT_USE_DIR = resolve('test/artifacts/grant-use');
rmSync(GRANT_USE_DIR, { recursive: true, force: true });
mkdirSync(GRANT_USE_DIR, { recursive: true });
process.env.LOCAL_CLOUD_GRANT_USE_DIR = GRANT_USE_DIR;

const synthesis = synthesizeTestApps().then(
  () => ({ code: 0, output: '' }),
  (error: unknown) => {
    process.stdout.write(`\n── synthesis ──\n${String(error)}\n`);
    return { code: 1, output: '' };
  },
);
// The cloud lanes' own global setups then find both assemblies current and synthesize nothing.
const afterSynthesis = (lane: Lane) => synthesis.then((synthesized) => (synthesized.code === 0 ? runLane(lane) : { code: 1, output: '' }));
const cloudTested = afterSynthesis(cloud);
const cloudClockTested = afterSynthesis(cloudClock);
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
  [{ name: 'synthesis', command: ['test/global-setup.ts'], niceness: 0 }, synthesized],
  [cloud, await cloudTested],
  [cloudClock, await cloudClockTested],
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
const { runs, unused } = unusedGrantsIn(GRANT_USE_DIR);
const eightfoldUnused = unused.filter((grants) => grants.role.startsWith('Eightfold'));
const unusedReport = join(GRANT_USE_DIR, '..', 'unused-grants.md');
writeFileSync(
  unusedReport,
  [
    `# Grants of Eightfold's roles that no test used (over ${runs} local clouds of one \`npm test\`)`,
    '',
    ...eightfoldUnused.map((grants) => `- ${grants.role}: ${grants.actions.join(', ')}`),
    '',
  ].join('\n'),
);
process.stdout.write(
  `\nIAM: ${eightfoldUnused.reduce((n, grants) => n + grants.actions.length, 0)} grants of ${eightfoldUnused.length} Eightfold roles no test used, over ${runs} local clouds (${unusedReport})\n`,
);
process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exitCode = lanes.some(([, result]) => result.code !== 0) ? 1 : 0;
