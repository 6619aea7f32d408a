import { fileURLToPath } from 'node:url';

export const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE_APP_DIR = fileURLToPath(new URL('../fixtures/kitchen-sink/', import.meta.url));
