import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { synthInputsHash } from '../assembly.ts';

const apps: string[] = [];
afterEach(() => apps.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A CDK app's directory with these files (path → content). */
function app(files: Record<string, string>): { dir: string; write: (path: string, content: string) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'local-cloud-app-'));
  apps.push(dir);
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  for (const [path, content] of Object.entries(files)) write(path, content);
  return { dir, write };
}

describe('the synthesis cache', () => {
  it('covers an app’s whole directory when cdk.json declares no sources: a stack outside bin/ and lib/ too', () => {
    const { dir, write } = app({ 'cdk.json': '{"app":"npx tsx main.ts"}', 'main.ts': 'stack()', 'src/stack.ts': 'v1' });
    const before = synthInputsHash(dir, {}, join(dir, 'out'));
    // What no synthesis reads: dependencies, assemblies (the default one and this app's own), hidden entries.
    write('node_modules/x/index.js', 'x');
    write('cdk.out/manifest.json', '{}');
    write('out/manifest.json', '{}');
    write('.local-cloud/functions.log', 'a line');
    expect(synthInputsHash(dir, {}, join(dir, 'out'))).toBe(before);
    write('src/stack.ts', 'v2');
    expect(synthInputsHash(dir, {}, join(dir, 'out'))).not.toBe(before);
  });

  it('covers the sources cdk.json declares (watch.include) and the files its app command names', () => {
    const { dir, write } = app({
      'cdk.json': '{"app":"node app.mjs","watch":{"include":["lib/**"]}}',
      'app.mjs': 'v1',
      'lib/stack.ts': 'v1',
      'docs/notes.md': 'v1',
    });
    const before = synthInputsHash(dir, {});
    write('docs/notes.md', 'v2');
    expect(synthInputsHash(dir, {})).toBe(before);
    write('lib/stack.ts', 'v2');
    const afterStack = synthInputsHash(dir, {});
    expect(afterStack).not.toBe(before);
    write('app.mjs', 'v2');
    expect(synthInputsHash(dir, {})).not.toBe(afterStack);
  });

  it('covers the context the synthesis is given', () => {
    const { dir } = app({ 'cdk.json': '{"app":"node app.mjs"}', 'app.mjs': 'v1' });
    expect(synthInputsHash(dir, { stage: 'dev' })).not.toBe(synthInputsHash(dir, { stage: 'prod' }));
  });
});
