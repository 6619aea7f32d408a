import { describe, expect, it } from 'vitest';
import { checkDeployArguments, deployArguments, stageOf } from '../../scripts/deploy.ts';

describe('npm run deploy', () => {
  it('reads the stage as the app does: -c stage=…, --context eightfold:stage=…, stage winning; dev by default', () => {
    expect(stageOf([])).toBe('dev');
    expect(stageOf(['-c', 'stage=prod'])).toBe('prod');
    expect(stageOf(['--context', 'eightfold:stage=prod'])).toBe('prod');
    expect(stageOf(['--context=stage=prod'])).toBe('prod');
    expect(stageOf(['-c', 'stage=dev', '-c', 'eightfold:stage=prod'])).toBe('dev');
    expect(stageOf(['-c', 'legacyUrl=https://x/', '--profile', 'stage=prod'])).toBe('dev');
  });

  it('asks before a security change in prod only, and writes each stage’s outputs to a file of its own', () => {
    expect(deployArguments([])).toEqual(['deploy', '--all', '--require-approval', 'never', '--outputs-file', 'cdk-outputs/dev.json']);
    expect(deployArguments(['-c', 'stage=prod'])).toEqual([
      'deploy',
      '--all',
      '--require-approval',
      'broadening',
      '--outputs-file',
      'cdk-outputs/prod.json',
      '-c',
      'stage=prod',
    ]);
  });

  it('leaves the user’s own --require-approval and --outputs-file alone', () => {
    const args = ['-c', 'stage=prod', '--require-approval=any-change', '--outputs-file', 'out.json'];
    expect(deployArguments(args)).toEqual(['deploy', '--all', ...args]);
  });

  it('refuses an unknown flag or a flag without its value, which cdk deploy would ignore and deploy anyway', () => {
    expect(checkDeployArguments(['-c', 'stage=prod', '--profile', 'ops', '--hotswap', 'Eightfold-prod'])).toBeUndefined();
    expect(checkDeployArguments(['--context=stage=prod', '--require-approval=never'])).toBeUndefined();
    expect(checkDeployArguments(['-c', 'stage=prod', '--help'])).toBe('help');
    expect(() => checkDeployArguments(['--requre-approval', 'never'])).toThrow("Unknown option '--requre-approval'");
    expect(() => checkDeployArguments(['-c'])).toThrow("Option '-c' needs a value");
    expect(() => checkDeployArguments(['--profile', '--force'])).toThrow("Option '--profile' needs a value");
  });
});
