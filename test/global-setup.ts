import { synthesize } from '@eightfold/local-cloud';
import { FIXTURE_APP_DIR, PROJECT_DIR } from './helpers/paths.ts';

/** Synthesize both apps once, before any test file reads their assemblies. */
export default async function setup(): Promise<void> {
  await Promise.all([synthesize({ appDir: PROJECT_DIR }), synthesize({ appDir: FIXTURE_APP_DIR })]);
}
