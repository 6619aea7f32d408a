import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_PORTS, freePort } from '@eightfold/local-cloud';
import { eventually } from '../helpers/eventually.ts';
import { PROJECT_DIR } from '../helpers/paths.ts';
import { dynamoDbLocalProcesses, listeningAddresses } from '../helpers/processes.ts';

/** True while something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

let child: ChildProcess | undefined;
/** The process group of `npx local-cloud`, whose command runs in a process of its own under npx. */
let cliGroup: number | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (cliGroup) {
    try {
      process.kill(-cliGroup, 'SIGKILL');
    } catch {
      // Gone already: it stopped as the test asked.
    }
  }
});

describe('npm start (the local cloud as a user runs it)', () => {
  it('answers GET /health with 200 and X-Served-By: eightfold, on fixed ports the AWS SDK finds from its env file, then leaves nothing behind on Ctrl-C', async () => {
    const port = await freePort();
    const started = Date.now();
    child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/local-cloud/main.ts'], {
      cwd: PROJECT_DIR,
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const response = await eventually(() => fetch(`http://127.0.0.1:${port}/health`), { timeoutMs: 30_000, intervalMs: 100 });
    const bootMs = Date.now() - started;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBe('eightfold');
    expect(await response.json()).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(bootMs).toBeLessThan(15_000);

    // What Eightfold does not serve goes to the legacy stand-in, its own stack on the same local cloud.
    const unknown = await fetch(`http://127.0.0.1:${port}/no-such-route`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-served-by')).toBe('legacy');

    // The report names the endpoints, on the same ports every start (DynamoDB's is the IAM proxy in front of DynamoDB Local).
    const dynamoPort = Number(/DynamoDB \+ Streams \(DynamoDB Local\)\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    expect(dynamoPort).toBe(DEFAULT_SERVICE_PORTS.dynamodb);
    expect(output).toContain('AWS_ENDPOINT_URL_DYNAMODB=');
    expect(dynamoDbLocalProcesses({ startedBy: child.pid })).toHaveLength(1);
    // The same exports in a file that `source` and `node --env-file` read.
    const envFile = join(PROJECT_DIR, '.local-cloud', 'env');
    const read = execFileSync(
      process.execPath,
      [`--env-file=${envFile}`, '-p', 'process.env.AWS_ENDPOINT_URL_DYNAMODB + " " + process.env.EIGHTFOLD_URL'],
      {
        encoding: 'utf8',
      },
    );
    expect(read.trim()).toBe(`http://127.0.0.1:${dynamoPort} http://127.0.0.1:${port}`);

    // One line per invocation in the terminal; the functions' own lines (Lambda's REPORT among them) in a file.
    await eventually(() => expect(output).toMatch(/GET \/health → 200 {2}Eightfold-dev-Health\w+ {2}\d+ ms/));
    expect(output).not.toContain('REPORT RequestId');
    await eventually(() => expect(readFileSync(join(PROJECT_DIR, '.local-cloud', 'functions.log'), 'utf8')).toContain('REPORT RequestId'));

    // The AWS CLI's calls, made by the AWS SDK configured from that file alone.
    const found = JSON.parse(
      execFileSync(process.execPath, [`--env-file=${envFile}`, 'test/fixtures/aws-calls.ts', 'Health'], {
        cwd: PROJECT_DIR,
        encoding: 'utf8',
      }),
    ) as Record<string, any>;
    expect(found).toMatchObject({
      functions: expect.arrayContaining([expect.stringMatching(/^Eightfold-dev-Health/), expect.stringMatching(/^Eightfold-dev-Commands/)]),
      handler: 'health/index.handler',
      invoked: { statusCode: 200 },
      parameters: [expect.stringMatching(/OutboundPolicy/)],
      apiCountResources: expect.arrayContaining(['/health']),
      stacks: expect.arrayContaining(['Eightfold-dev', 'EightfoldLegacy-dev']),
      eventBuses: ['default'],
    });
    expect(found.reportLines).toBeGreaterThanOrEqual(2); // the API's call and the SDK's Invoke
    for (const count of ['tables', 'topics', 'queues']) expect(found[count]).toBeGreaterThan(0);

    // A second local cloud is refused in one line, before it starts anything: the ports are taken.
    const second = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/local-cloud/main.ts'], {
      cwd: PROJECT_DIR,
      env: { ...process.env, PORT: String(await freePort()) },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Local cloud failed to start: port 4701 \(dynamodb\),.* already in use/),
    ]);

    // Nothing it started listens beyond this machine: the API, DynamoDB Local and the SNS/SQS emulator
    // (among others) on the loopback interface only.
    const addresses = listeningAddresses(child.pid!);
    expect(addresses).toEqual(
      expect.arrayContaining([`127.0.0.1:${port}`, expect.stringMatching(new RegExp(`127\\.0\\.0\\.1\\]?:${dynamoPort}$`))]),
    );
    expect(addresses.length).toBeGreaterThanOrEqual(3);
    for (const address of addresses) expect(address).toMatch(/^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+$/);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(PROJECT_DIR, '.local-cloud', 'env'))).toBe(false);
    expect(dynamoDbLocalProcesses({ startedBy: child.pid })).toEqual([]);
    expect(await listening(port)).toBe(false);
    expect(await listening(dynamoPort)).toBe(false);
  });
});

describe('npx local-cloud start (the package’s own command, for any CDK app)', () => {
  it('runs another project’s app from its directory, serves its API, and stops on Ctrl-C', async () => {
    // A copy of its own: the fixture test synthesizes the same app meanwhile.
    const appDir = join(PROJECT_DIR, 'test', 'fixtures', '.tmp', `cli-notes-api-${process.pid}`);
    const source = join(PROJECT_DIR, 'test', 'fixtures', 'apps', 'notes-api');
    cpSync(source, appDir, { recursive: true, filter: (file) => !file.startsWith(join(source, 'cdk.out')) });
    const port = await freePort();
    // A process group of its own, as a terminal's job is: Ctrl-C signals npx and the command it runs alike.
    const cli = spawn('npx', ['--no', 'local-cloud', 'start', '--app', appDir, '--port', String(port)], {
      cwd: PROJECT_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    cliGroup = cli.pid;
    let output = '';
    cli.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cli.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const created = await eventually(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/notes`, {
            method: 'POST',
            body: JSON.stringify({ text: 'from the CLI' }),
          });
          expect(response.status).toBe(201);
          return (await response.json()) as { id: string };
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(await (await fetch(`http://127.0.0.1:${port}/notes/${created.id}`)).json()).toEqual({ id: created.id, text: 'from the CLI' });
      expect(readFileSync(join(appDir, '.local-cloud', 'env'), 'utf8')).toContain(
        `AWS_ENDPOINT_URL_SQS=http://127.0.0.1:${DEFAULT_SERVICE_PORTS['sns-sqs']}`,
      );
      process.kill(-cli.pid!, 'SIGINT');
      // npx ends by the signal; the local cloud under it stops in its own time, and leaves nothing behind.
      await eventually(async () => {
        expect(output).toContain('SIGINT: stopping the local cloud');
        expect(existsSync(join(appDir, '.local-cloud', 'env'))).toBe(false);
        expect(await listening(port)).toBe(false);
        expect(await listening(DEFAULT_SERVICE_PORTS.dynamodb)).toBe(false);
      });
      // One line per invocation, as npm start prints them.
      expect(output).toMatch(/POST \/notes.* 201/);
    } catch (error) {
      throw new Error(`${String(error)}\n${output}`, { cause: error });
    } finally {
      rmSync(appDir, { recursive: true, force: true });
    }
  });
});
