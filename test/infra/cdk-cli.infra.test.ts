import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../helpers/paths.ts';

const outDir = mkdtempSync(join(tmpdir(), 'eightfold-synth-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the pinned CDK CLI', () => {
  it('synthesizes the app with no warning, notice or unconfigured feature flag', async () => {
    const { stdout, stderr } = await promisify(execFile)('scripts/cdk.sh', ['synth', '--quiet', '--output', outDir], {
      cwd: PROJECT_DIR,
      env: { ...process.env, PATH: `${join(PROJECT_DIR, 'node_modules/.bin')}:${process.env.PATH}` },
    });
    const output = `${stdout}\n${stderr}`;
    expect(output).not.toMatch(/warn|deprecat|not configured|notice/i);
    // The CLI really ran the app: the template is there, its functions' code staged beside it.
    const templates = readdirSync(outDir).filter((name) => name.endsWith('.template.json'));
    expect(templates.sort()).toEqual([
      'Eightfold-dev.template.json',
      'EightfoldLegacy-dev.template.json',
      'EightfoldPaymentProvider-dev.template.json',
    ]);
    const functions = templates.flatMap((name) =>
      Object.values(
        (JSON.parse(readFileSync(join(outDir, name), 'utf8')) as { Resources: Record<string, { Type: string }> }).Resources,
      ).filter((r) => r.Type === 'AWS::Lambda::Function'),
    );
    expect(functions.length).toBeGreaterThanOrEqual(9);
    // Every function shares the one code-split bundle: one asset, staged once.
    expect(readdirSync(outDir).filter((name) => name.startsWith('asset.'))).toHaveLength(1);
    // The CLI bundles every function: about 10 s alone, a minute and more beside the two cloud lanes when
    // this machine runs slow (seen at 60 s): the bound guards a hang, not the speed.
  }, 180_000);
});
