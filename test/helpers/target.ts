/**
 * Where an e2e file sends its requests. With `E2E_BASE_URL` set (a LocalStack or AWS deployment's `ApiUrl`,
 * and `E2E_API_KEY` for `/ops/*`), that deployment; otherwise a local cloud the file starts itself.
 */
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../scripts/local-cloud/local-cloud.ts';
import { PROJECT_DIR } from './paths.ts';

/** The deployment under test, when the suite is pointed at one. */
export const REMOTE_BASE_URL = process.env.E2E_BASE_URL?.replace(/\/+$/, '') || undefined;

/** Unique per run, so ids and SKUs do not meet those of earlier runs on a long-lived deployment. */
export const RUN_ID = Date.now().toString(36);

export interface E2ETarget {
  readonly url: string;
  readonly apiKey: string;
  /** The local cloud, when the file started one. */
  readonly cloud?: LocalCloud;
  stop(): Promise<void>;
}

export async function startTarget(options: { apiKey: string } & Omit<LocalCloudOptions, 'apiKeyValue'>): Promise<E2ETarget> {
  if (REMOTE_BASE_URL) return { url: REMOTE_BASE_URL, apiKey: process.env.E2E_API_KEY ?? '', stop: async () => undefined };
  const { apiKey, ...cloudOptions } = options;
  const cloud = await startLocalCloud({ appDir: PROJECT_DIR, port: 0, onLog: () => undefined, ...cloudOptions, apiKeyValue: apiKey });
  return { url: cloud.url, apiKey, cloud, stop: () => cloud.stop() };
}
