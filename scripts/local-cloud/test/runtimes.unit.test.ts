import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { olderRuntimeWarning } from '../deployment.ts';
import { functionReference } from '../lambda/function-reference.ts';
import { packageOf, RUNTIME_SDK_PACKAGES } from '../lambda/runtime-sdk.ts';

describe('a function on an older Node.js runtime', () => {
  it("is warned of: it runs on this Node, its runtime's AWS SDK v2 is not provided, and a bundled one calls real AWS", () => {
    for (const runtime of ['nodejs14.x', 'nodejs16.x', 'nodejs12.x']) {
      expect(olderRuntimeWarning({ logicalId: 'Old', runtime })).toMatch(
        new RegExp(
          `^Old: runtime ${runtime.replace('.', '\\.')} runs here on Node \\d+\\. The AWS SDK v2 .* is not provided here, .* go to real AWS`,
        ),
      );
    }
  });

  it('is not, from nodejs18.x on (their runtimes include the SDK v3, which honours the endpoint variables)', () => {
    for (const runtime of ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'])
      expect(olderRuntimeWarning({ logicalId: 'New', runtime })).toBeUndefined();
  });
});

describe('the runtime’s AWS SDK', () => {
  it('is pinned, each package at one exact version, among the local cloud’s own dependencies', () => {
    const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of RUNTIME_SDK_PACKAGES) expect(dependencies[name], name).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('is found by package name, whatever subpath an import names', () => {
    expect(packageOf('@aws-sdk/client-sqs')).toBe('@aws-sdk/client-sqs');
    expect(packageOf('@aws-sdk/lib-dynamodb/dist-cjs/index.js')).toBe('@aws-sdk/lib-dynamodb');
    expect(packageOf('uuid/v4')).toBe('uuid');
  });
});

describe('a reference to a function', () => {
  it('is read as Lambda reads one: by name, name and qualifier, or ARN with or without a version or alias', () => {
    const arn = 'arn:aws:lambda:eu-west-1:000000000000:function:Shop-Orders';
    expect(functionReference('Shop-Orders')).toEqual({ name: 'Shop-Orders' });
    expect(functionReference('Shop-Orders:live')).toEqual({ name: 'Shop-Orders', qualifier: 'live' });
    expect(functionReference(arn)).toEqual({ name: 'Shop-Orders', arn });
    expect(functionReference(`${arn}:$LATEST`)).toEqual({ name: 'Shop-Orders', arn, qualifier: '$LATEST' });
    expect(functionReference(`${arn}:7`)).toEqual({ name: 'Shop-Orders', arn, qualifier: '7' });
  });
});
