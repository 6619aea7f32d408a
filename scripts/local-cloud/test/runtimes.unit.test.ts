import { describe, expect, it } from 'vitest';
import { olderRuntimeWarning } from '../deployment.ts';

describe('a function on an older Node.js runtime', () => {
  it('is warned of: it runs on this Node, and the AWS SDK v2 of its runtime calls real AWS', () => {
    for (const runtime of ['nodejs14.x', 'nodejs16.x', 'nodejs12.x']) {
      expect(olderRuntimeWarning({ logicalId: 'Old', runtime })).toMatch(
        new RegExp(`^Old: runtime ${runtime.replace('.', '\\.')} runs here on Node \\d+, and the AWS SDK v2 .* go to real AWS`),
      );
    }
  });

  it('is not, from nodejs18.x on (their runtimes include the SDK v3, which honours the endpoint variables)', () => {
    for (const runtime of ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'])
      expect(olderRuntimeWarning({ logicalId: 'New', runtime })).toBeUndefined();
  });
});
