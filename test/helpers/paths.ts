import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE_APP_DIR = fileURLToPath(new URL('../fixtures/kitchen-sink/', import.meta.url));

/**
 * A cloud assembly directory of the calling file's own, removed after it: for a cloud synthesized with other
 * context (a time scale, a routing table) than the app's shared cdk.out, which would otherwise be synthesized
 * again for this file and once more for the next. Call it at the top of the file, before its own afterAll,
 * so the cloud stops before its assembly goes.
 */
export function ownAssemblyDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `eightfold-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
