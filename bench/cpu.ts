/**
 * CPU per order, end to end: orders placed through the API at concurrency 32 against a local cloud in a
 * process of its own (bench/apps/cpu-cloud.ts), and the CPU its whole process tree spent (the cloud, every
 * function's worker thread, DynamoDB Local's JVM) from the first order until every poller fell quiet,
 * divided by the orders. On 2 cores this is what decides both the load figures and the test suite's time.
 *
 * The baseline is the same measurement of Eightfold at CPU_BASELINE (the commit before the CPU work began),
 * checked out beside this tree and run in turn with it, round after round. A profiled run of this tree
 * writes where the CPU went to bench/results/cpu-profile-<stamp>.md.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { placeOrders } from '../scripts/load-test.ts';
import { profileMarkdown, summarizeProfiles } from './cpu-profile.ts';
import { log, percentile, ratio, ROOT, RUN_STAMP, sleep, type Row } from './common.ts';

/** Eightfold before the CPU work (2026-12-05): the figure to halve. */
export const CPU_BASELINE = '83a90e0';
const ORDERS = Number(process.env.BENCH_CPU_ORDERS ?? 1000);
const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 3);
const CONCURRENCY = 32;

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU milliseconds spent so far by a process and its descendants, split into Node's and the JVM's. */
function treeCpuMs(root: number): { node: number; java: number } {
  const processes = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
        return [{ pid: Number(pid), parent: Number(fields[1]), name, ms }];
      } catch {
        return []; // gone between the listing and the read
      }
    });
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of processes)
      if (!tree.has(p.pid) && tree.has(p.parent)) {
        tree.add(p.pid);
        grew = true;
      }
  }
  const inTree = processes.filter((p) => tree.has(p.pid));
  const java = inTree.filter((p) => p.name === 'java').reduce((sum, p) => sum + p.ms, 0);
  return { node: inTree.reduce((sum, p) => sum + p.ms, 0) - java, java };
}

interface CloudProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly token: string;
  command(line: string, answer?: string): Promise<void>;
}

async function startCloudProcess(appDir: string, profileDir?: string): Promise<CloudProcess> {
  const flags = ['--disable-warning=ExperimentalWarning', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const child = spawn(process.execPath, [...flags, join(ROOT, 'bench/apps/cpu-cloud.ts'), appDir], { cwd: appDir });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const lines: Interface = createInterface({ input: child.stdout });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`cpu-cloud exited (${code}): ${stderr}`));
      child.once('exit', exited);
      lines.once('line', (line) => {
        child.off('exit', exited);
        resolve(line);
      });
    });
  const { url, token } = JSON.parse(await next()) as { url: string; token: string };
  return {
    child,
    url,
    token,
    async command(line, answer) {
      const answered = answer ? next() : undefined;
      child.stdin.write(`${line}\n`);
      if (answered && (await answered) !== answer) throw new Error(`cpu-cloud answered something other than ${answer}`);
    },
  };
}

interface CpuRun {
  readonly cpuMsPerOrder: number;
  readonly nodeMsPerOrder: number;
  readonly javaMsPerOrder: number;
  readonly ordersPerSecond: number;
}

/** One measured run: a warm-up, then ORDERS orders at CONCURRENCY, and the CPU until the pipeline is quiet. */
async function cpuRun(appDir: string, orders: number, profileDir?: string): Promise<CpuRun> {
  const cloud = await startCloudProcess(appDir, profileDir);
  try {
    const signedIn = { baseUrl: cloud.url, token: cloud.token };
    // At the load's own concurrency, so every sandbox the load needs starts here, not in the measured window.
    await placeOrders({ ...signedIn, orders: 300, concurrency: CONCURRENCY, customerPrefix: 'warm' });
    await cloud.command('settle', 'settled');
    const before = treeCpuMs(cloud.child.pid!);
    const load = await placeOrders({ ...signedIn, orders, concurrency: CONCURRENCY, customerPrefix: 'load' });
    if (load.refused.length) throw new Error(`cpu: ${load.refused.length} orders refused, e.g. ${JSON.stringify(load.refused[0])}`);
    await cloud.command('settle', 'settled');
    const after = treeCpuMs(cloud.child.pid!);
    const node = (after.node - before.node) / orders;
    const java = (after.java - before.java) / orders;
    return { cpuMsPerOrder: node + java, nodeMsPerOrder: node, javaMsPerOrder: java, ordersPerSecond: load.ordersPerSecond };
  } finally {
    const exited = new Promise((resolve) => cloud.child.once('exit', resolve));
    await cloud.command('stop');
    await exited;
  }
}

/** The baseline commit checked out beside this tree, sharing its node_modules; undefined when git cannot. */
function checkOutBaseline(): { dir: string; remove: () => void } | { why: string } {
  const dir = mkdtempSync(join(tmpdir(), 'eightfold-cpu-baseline-'));
  try {
    execFileSync('git', ['worktree', 'add', '--detach', dir, CPU_BASELINE], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { why: `git could not check out ${CPU_BASELINE}: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}` };
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    remove: () => execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'pipe' }),
  };
}

const median = (values: number[]) => percentile(values, 50);
const perOrder = (ms: number) => `${ms.toFixed(1)} ms`;

export async function cpuFigures(rows: Row[]): Promise<void> {
  const baseline = checkOutBaseline();
  const ours: CpuRun[] = [];
  const theirs: CpuRun[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating, so a machine slowing down mid-run weighs on both alike.
      ours.push(await cpuRun(ROOT, ORDERS));
      if ('dir' in baseline) theirs.push(await cpuRun(baseline.dir, ORDERS));
      log(
        `cpu round ${round}: ${perOrder(ours.at(-1)!.cpuMsPerOrder)}/order` +
          (theirs.length ? `, baseline ${perOrder(theirs.at(-1)!.cpuMsPerOrder)}` : ''),
      );
    }
  } finally {
    if ('remove' in baseline) baseline.remove();
  }
  // BENCH_CPU_PROFILE_DIR keeps the raw profiles (one .cpuprofile a thread) for a closer look.
  const kept = process.env.BENCH_CPU_PROFILE_DIR;
  const profileDir = kept ?? mkdtempSync(join(tmpdir(), 'eightfold-cpu-profile-'));
  try {
    await cpuRun(ROOT, Math.min(ORDERS, 500), profileDir);
    await sleep(500); // the worker threads' profiles are written as they end
    const page = `cpu-profile-${RUN_STAMP}.md`;
    const heading = `# Where the CPU of an order goes\n\nA profiled run of \`npm run bench\`'s cpu section (${Math.min(ORDERS, 500)} orders at concurrency ${CONCURRENCY}, warm-up included), ${RUN_STAMP}.`;
    writeFileSync(join(ROOT, 'bench/results', page), profileMarkdown(summarizeProfiles(profileDir), heading));
    log(`cpu: profile summary in bench/results/${page}`);
  } finally {
    if (!kept) rmSync(profileDir, { recursive: true, force: true });
  }

  const spread = (runs: CpuRun[]) => runs.map((r) => perOrder(r.cpuMsPerOrder)).join(', ');
  const now = median(ours.map((r) => r.cpuMsPerOrder));
  const before = theirs.length ? median(theirs.map((r) => r.cpuMsPerOrder)) : undefined;
  rows.push(
    {
      figure: `CPU per order end to end (local cloud, every function, DynamoDB Local's JVM), ${ORDERS} orders at concurrency ${CONCURRENCY}, median of ${ROUNDS} (trials: ${spread(ours)})`,
      value: perOrder(now),
      baseline:
        before === undefined
          ? `Eightfold at ${CPU_BASELINE}: not measured (${'why' in baseline ? baseline.why : ''})`
          : `Eightfold at ${CPU_BASELINE}, same run: ${perOrder(before)} (trials: ${spread(theirs)})`,
      ratio: before === undefined ? '' : ratio(now, before),
      goal: `≤ 0.5× ${CPU_BASELINE}'s (halved)`,
      met: before !== undefined && now <= before / 2,
    },
    {
      figure: 'of which Node (the cloud and the functions) / the JVM',
      value: `${perOrder(median(ours.map((r) => r.nodeMsPerOrder)))} / ${perOrder(median(ours.map((r) => r.javaMsPerOrder)))}`,
      baseline: theirs.length
        ? `${perOrder(median(theirs.map((r) => r.nodeMsPerOrder)))} / ${perOrder(median(theirs.map((r) => r.javaMsPerOrder)))}`
        : '',
      ratio: '',
    },
  );
}
