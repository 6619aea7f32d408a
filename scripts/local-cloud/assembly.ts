import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import type { CfnTemplate } from './template.ts';

/** One stack of a synthesized cloud assembly, with where its file assets were bundled. */
export interface StackArtifact {
  readonly stackName: string;
  /** The cloud assembly directory it was read from. */
  readonly outDir: string;
  readonly template: CfnTemplate;
  /** S3 object key of a file asset (what the template references) → its directory in cdk.out. */
  readonly assets: ReadonlyMap<string, string>;
}

interface Manifest {
  artifacts: Record<string, { type: string; properties?: Record<string, any>; dependencies?: string[]; displayName?: string }>;
}

interface AssetManifest {
  files?: Record<string, { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }>;
}

/** Reads every CloudFormation stack of `cdk.out`, dependencies first (as `cdk deploy --all` orders them). */
export function readAssembly(outDir: string): StackArtifact[] {
  const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as Manifest;
  const stacks: StackArtifact[] = [];
  const done = new Set<string>();
  const visit = (id: string): void => {
    const artifact = manifest.artifacts[id];
    if (!artifact || done.has(id)) return;
    done.add(id);
    for (const dep of artifact.dependencies ?? []) visit(dep);
    if (artifact.type !== 'aws:cloudformation:stack') return;
    const props = artifact.properties ?? {};
    const template = JSON.parse(readFileSync(join(outDir, props.templateFile), 'utf8')) as CfnTemplate;
    const assets = new Map<string, string>();
    for (const dep of artifact.dependencies ?? []) {
      const assetArtifact = manifest.artifacts[dep];
      if (assetArtifact?.type !== 'cdk:asset-manifest') continue;
      const assetManifest = JSON.parse(readFileSync(join(outDir, assetArtifact.properties!.file), 'utf8')) as AssetManifest;
      for (const file of Object.values(assetManifest.files ?? {})) {
        for (const destination of Object.values(file.destinations)) {
          assets.set(destination.objectKey, resolve(outDir, file.source.path));
        }
      }
    }
    stacks.push({ stackName: props.stackName ?? artifact.displayName ?? id, outDir, template, assets });
  };
  for (const id of Object.keys(manifest.artifacts)) visit(id);
  return stacks;
}

export interface SynthOptions {
  /** Directory holding cdk.json. */
  readonly appDir: string;
  /** @default `${appDir}/cdk.out` */
  readonly outDir?: string;
  /** Extra context, as `cdk synth -c key=value`. @default none */
  readonly context?: Record<string, unknown>;
  /** Synthesize even when no input changed. @default false */
  readonly force?: boolean;
}

export interface SynthResult {
  readonly outDir: string;
  readonly cached: boolean;
  readonly durationMs: number;
}

const HASH_FILE = '.local-cloud-inputs';

/** Every file under `path`, but for dependencies, assemblies, hidden entries and `skip` (an assembly elsewhere). */
function filesUnder(path: string, into: string[], skip?: string): void {
  if (!existsSync(path) || path === skip) return;
  if (statSync(path).isFile()) {
    into.push(path);
    return;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules' || entry === 'cdk.out' || entry.startsWith('.')) continue;
    filesUnder(join(path, entry), into, skip);
  }
}

/** The directory a `watch.include` glob stands for. */
const rootOf = (glob: string) => glob.replace(/\/?\*\*.*$/, '');

/** The source directories of a CDK app: the roots of cdk.json's `watch.include` globs. */
export function watchedRoots(appDir: string): string[] {
  const cdkJson = JSON.parse(readFileSync(join(appDir, 'cdk.json'), 'utf8')) as { watch?: { include?: string[] } };
  return (cdkJson.watch?.include ?? ['bin/**', 'lib/**', 'lambdas/**']).map(rootOf);
}

/**
 * Hash of everything a synthesis reads: the app's sources, its config, context and lockfile. The sources are
 * the roots of cdk.json's `watch.include` where the app declares them, else the whole app directory (but for
 * `node_modules`, assemblies and hidden entries), and the files its `app` command names: an app whose stack
 * lives outside `bin/` and `lib/` is synthesized again when it changes.
 */
export function synthInputsHash(appDir: string, context: Record<string, unknown>, outDir?: string): string {
  const cdkJson = JSON.parse(readFileSync(join(appDir, 'cdk.json'), 'utf8')) as { app?: string; watch?: { include?: string[] } };
  const roots = cdkJson.watch?.include?.map(rootOf) ?? [''];
  const commandFiles = (cdkJson.app ?? '').split(/\s+/).filter((word) => /\.[cm]?[jt]sx?$/.test(word));
  const files: string[] = [];
  for (const root of new Set([...roots, ...commandFiles, 'cdk.json', 'cdk.context.json', 'package-lock.json', 'package.json']))
    filesUnder(join(appDir, root), files, outDir);
  const hash = createHash('sha256').update(JSON.stringify(context));
  for (const file of files) hash.update(relative(appDir, file)).update(readFileSync(file));
  return hash.digest('hex');
}

/**
 * Runs the CDK app the way `cdk synth` does (cdk.json's `app` command with CDK_OUTDIR and CDK_CONTEXT_JSON),
 * without the CLI's own start-up, and skips it when no input changed since the last run.
 */
export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const started = performance.now();
  const appDir = resolve(options.appDir);
  const outDir = resolve(options.outDir ?? join(appDir, 'cdk.out'));
  const cdkJson = JSON.parse(readFileSync(join(appDir, 'cdk.json'), 'utf8')) as { app: string; context?: Record<string, unknown> };
  const savedContextFile = join(appDir, 'cdk.context.json');
  const context = {
    ...cdkJson.context,
    ...(existsSync(savedContextFile) ? JSON.parse(readFileSync(savedContextFile, 'utf8')) : {}),
    ...options.context,
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
  };
  const inputs = synthInputsHash(appDir, context, outDir);
  const hashFile = join(outDir, HASH_FILE);
  if (!options.force && existsSync(join(outDir, 'manifest.json')) && existsSync(hashFile) && readFileSync(hashFile, 'utf8') === inputs) {
    return { outDir, cached: true, durationMs: performance.now() - started };
  }
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(cdkJson.app, {
      cwd: appDir,
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // The app runs on the same Node.js as the local cloud, whatever `node` is first on the caller's PATH.
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
        CDK_OUTDIR: outDir,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        // aws-cdk-lib validates every template against CloudFormation's rules in WebAssembly, about 3 s of a
        // start-up; `cdk synth` and `cdk deploy` keep doing it (and the CLI test fails on any warning).
        CDK_VALIDATION: process.env.CDK_VALIDATION ?? 'false',
      },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`CDK synthesis of ${appDir} failed (exit ${code}):\n${output}`)),
    );
  });
  writeFileSync(hashFile, inputs);
  return { outDir, cached: false, durationMs: performance.now() - started };
}
