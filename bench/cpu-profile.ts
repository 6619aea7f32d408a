/**
 * Where the CPU went: V8 CPU profiles (`node --cpu-prof`, one per thread: the local cloud's main thread and
 * each function sandbox's worker) summed by function and by library. Bundled handler code is mapped back
 * through its source map, so a minified chunk reads as the package or project file it came from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Milliseconds of CPU per thread, named by the handler its sandbox ran ('local cloud' for the main thread). */
  readonly byThread: Map<string, number>;
  /** Milliseconds of CPU (self time) per library: an npm package, a project file, a Node internal, or V8's own (GC). */
  readonly byLibrary: Map<string, number>;
  readonly totalMs: number;
}

const maps = new Map<string, SourceMap | undefined>();
/** The original source of a bundled position, through the bundle's source map when it has one. */
function originalSource(url: string, line: number, column: number): string {
  const path = url.replace(/^file:\/\//, '');
  if (!maps.has(path))
    maps.set(path, existsSync(`${path}.map`) ? new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')) as never) : undefined);
  const entry = maps.get(path)?.findEntry(line, column) as { originalSource?: string } | undefined;
  return entry?.originalSource ?? path;
}

/**
 * A source, named as the library it belongs to. A bundle's sources are relative to the bundle, which is
 * built under node_modules/.cache: `../../../../@smithy/core/…` is a package, `../../../../../lambdas/…` ours.
 */
function libraryOf(source: string): string {
  const path = source.replace(/^file:\/\//, '');
  const installed = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (installed) return installed[1]!;
  const own = /(?:^|\/)((?:lambdas|scripts|bench|test|lib)\/.*)$/.exec(path);
  if (own) return own[1]!;
  const bundled = /^(?:\.\.\/)+((?:@[^/]+\/)?[^/]+)\//.exec(path);
  return bundled ? bundled[1]! : path;
}

/** The handler a worker thread's profile ran: the bundle entry (not a shared chunk) it loaded. */
function threadOf(profile: Profile): string | undefined {
  for (const { callFrame } of profile.nodes) {
    const entry = /cdk\.out\/asset\.[^/]+\/([^/]+)\/index\.mjs$/.exec(callFrame.url);
    if (entry) return entry[1];
  }
  return undefined;
}

const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);

export function summarizeProfiles(dir: string): ProfileSummary {
  const byThread = new Map<string, number>();
  const byLibrary = new Map<string, number>();
  let totalMs = 0;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const selfMs = new Map<number, number>();
    profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
    const thread = threadOf(profile) ?? 'local cloud';
    for (const node of profile.nodes) {
      const ms = selfMs.get(node.id) ?? 0;
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      if (ms === 0 || functionName === '(idle)') continue;
      const library = !url
        ? functionName
        : url.includes('cdk.out')
          ? libraryOf(originalSource(url, lineNumber, columnNumber))
          : libraryOf(url);
      add(byLibrary, library, ms);
      add(byThread, thread, ms);
      totalMs += ms;
    }
  }
  return { byThread, byLibrary, totalMs };
}

/** The summary as a page: threads, then the libraries that took the most. */
export function profileMarkdown(summary: ProfileSummary, heading: string, top = 25): string {
  const table = (title: string, map: Map<string, number>, rows: number) =>
    [
      `| ${title} | CPU ms | share |`,
      '|---|---|---|',
      ...[...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, rows)
        .map(([name, ms]) => `| \`${name}\` | ${ms.toFixed(0)} | ${((100 * ms) / summary.totalMs).toFixed(1)} % |`),
    ].join('\n');
  return [
    heading,
    '',
    `${summary.totalMs.toFixed(0)} ms of CPU in the profiles (profiling itself adds to it: compare shares, not totals).`,
    '',
    '## By thread',
    '',
    table('thread (the handler its sandbox ran)', summary.byThread, summary.byThread.size),
    '',
    `## By library (self time, the top ${top})`,
    '',
    table('library', summary.byLibrary, top),
    '',
  ].join('\n');
}
