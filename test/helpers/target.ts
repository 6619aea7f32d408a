/**
 * Where an e2e file sends its requests. With `E2E_BASE_URL` set (a LocalStack or AWS deployment's `ApiUrl`),
 * that deployment, its callers signed in through its user pool as `npm run token` does (`E2E_OPERATOR_TOKEN`
 * instead, for a deployment that trusts an issuer of its own); otherwise a local cloud the file starts itself,
 * its callers' tokens minted by its issuer.
 *
 * Either way a file finds tables, queues and the stand-ins' URLs the same way: from the stacks' outputs
 * (CloudFormation's DescribeStacks; the local cloud serves it too), read with the SDK's default
 * configuration remotely (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL` for LocalStack).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, startLocalCloud, type LocalCloud, type LocalCloudOptions } from '@eightfold/local-cloud';
import { stackOutputs } from '../../scripts/stack-outputs.ts';
import { cognitoToken } from '../../scripts/token.ts';
import { mintToken } from './tokens.ts';
import { stackNames } from '../../lib/stack-names.ts';
import { PROJECT_DIR } from './paths.ts';
import { checkAnswers } from './api-description.ts';

/** The deployment under test, when the suite is pointed at one. */
export const REMOTE_BASE_URL = process.env.E2E_BASE_URL?.replace(/\/+$/, '') || undefined;

/** The deployment's stage (`-c stage=…` when it was deployed): its stacks are `Eightfold-<stage>` and the stand-ins'. */
const STAGE = process.env.E2E_STAGE ?? 'dev';

/** Unique per run, so ids and SKUs do not meet those of earlier runs on a long-lived deployment. */
export const RUN_ID = Date.now().toString(36);

/** Each stack's outputs, by key. */
export interface DeploymentOutputs {
  readonly eightfold: Record<string, string>;
  readonly legacy: Record<string, string>;
  readonly paymentProvider: Record<string, string>;
}

export interface E2ETarget {
  readonly url: string;
  /** An operator's bearer token: support staff, who may act on any order, and /ops. */
  readonly operatorToken: string;
  /** A customer's bearer token: their own orders only. */
  tokenFor(customerId: string): Promise<string>;
  /** The local cloud, when the file started one: what only it offers (fault hooks, logs, time scale). */
  readonly cloud?: LocalCloud;
  readonly outputs: DeploymentOutputs;
  /** The deployment's DynamoDB, for checks that read its tables. */
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  stop(): Promise<void>;
}

export async function startTarget(options: Omit<LocalCloudOptions, 'appDir'> = {}): Promise<E2ETarget> {
  if (REMOTE_BASE_URL) {
    const names = stackNames(STAGE);
    const described = async (stack: string) => (await stackOutputs(stack)) as Record<string, string>;
    const [eightfold, legacy, paymentProvider] = await Promise.all([names.eightfold, names.legacy, names.paymentProvider].map(described));
    const signIn = (user: string, operator: boolean) => cognitoToken(eightfold!.UserPoolId!, eightfold!.UserPoolClientId!, user, operator);
    return withClients(
      {
        url: REMOTE_BASE_URL,
        operatorToken: process.env.E2E_OPERATOR_TOKEN ?? (await signIn(`e2e-operator-${RUN_ID}`, true)),
        tokenFor: (customerId) => signIn(customerId, false),
        outputs: { eightfold: eightfold!, legacy: legacy!, paymentProvider: paymentProvider! },
      },
      {},
      async () => undefined,
    );
  }
  const cloud = await startLocalCloud({ appDir: PROJECT_DIR, port: 0, onLog: () => undefined, ...options });
  const outputs = localOutputs(cloud);
  const local = { region: cloud.region, credentials: LOCAL_CREDENTIALS };
  const operatorToken = await mintToken(cloud, { operator: 'e2e-operator' });
  return withClients(
    { url: cloud.url, operatorToken, tokenFor: (customer) => mintToken(cloud, { customer }), cloud, outputs },
    { dynamodb: { ...local, endpoint: cloud.endpoints.dynamodb }, sqs: { ...local, endpoint: cloud.endpoints.snsSqs } },
    () => cloud.stop(),
  );
}

/** A local cloud's stacks' outputs (it deploys the dev stage). */
export function localOutputs(cloud: LocalCloud): DeploymentOutputs {
  const names = stackNames('dev');
  return {
    eightfold: cloud.outputs(names.eightfold),
    legacy: cloud.outputs(names.legacy),
    paymentProvider: cloud.outputs(names.paymentProvider),
  };
}

/** The target with its clients; every answer of its API is checked against the API's description from now on. */
function withClients(
  target: Pick<E2ETarget, 'url' | 'operatorToken' | 'tokenFor' | 'cloud' | 'outputs'>,
  config: { dynamodb?: ConstructorParameters<typeof DynamoDBClient>[0]; sqs?: ConstructorParameters<typeof SQSClient>[0] },
  stop: () => Promise<void>,
): E2ETarget {
  checkAnswers(target.url);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(config.dynamodb ?? {}));
  const sqs = new SQSClient(config.sqs ?? {});
  return {
    ...target,
    documents,
    sqs,
    stop: async () => {
      documents.destroy();
      sqs.destroy();
      await stop();
    },
  };
}

/** Legacy's own API (not through Eightfold's façade), from its stack's `LegacyUrl`. */
export const legacyUrl = (outputs: DeploymentOutputs) => outputs.legacy.LegacyUrl!.replace(/\/+$/, '');

/** A stand-in's secret (`constructId` in `stack`), from a local cloud's Secrets Manager (a deployment's secret is no test's to read). */
async function standInSecret(cloud: LocalCloud, constructId: string, stack: string): Promise<string> {
  const secrets = new SecretsManagerClient({ endpoint: cloud.endpoints.parameters, region: cloud.region, credentials: LOCAL_CREDENTIALS });
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: cloud.resource(constructId, stack).physicalId }));
    return SecretString!;
  } finally {
    secrets.destroy();
  }
}

/** The payment provider stand-in's bearer token. */
export const paymentProviderToken = (cloud: LocalCloud) => standInSecret(cloud, 'ApiToken', stackNames('dev').paymentProvider);

/** The bearer token of the legacy stand-in's integration API (`/integration/*`). */
export const legacyIntegrationToken = (cloud: LocalCloud) => standInSecret(cloud, 'IntegrationToken', stackNames('dev').legacy);

/**
 * Legacy's integration API (`/integration/*`), called with its bearer token: a local cloud's from its Secrets
 * Manager, a deployment's read with the caller's own credentials from the stand-in's output.
 */
export async function legacyIntegration(target: E2ETarget): Promise<(path: string) => Promise<Response>> {
  let token: string;
  if (target.cloud) token = await legacyIntegrationToken(target.cloud);
  else {
    const secrets = new SecretsManagerClient({});
    token = (await secrets.send(new GetSecretValueCommand({ SecretId: target.outputs.legacy.IntegrationTokenSecretArn }))).SecretString!;
    secrets.destroy();
  }
  return (path) => fetch(`${legacyUrl(target.outputs)}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

/** An SQS client on a local cloud's emulator. */
export const localSqs = (cloud: LocalCloud) =>
  new SQSClient({ endpoint: cloud.endpoints.snsSqs, region: cloud.region, credentials: LOCAL_CREDENTIALS });

/** A document client on a local cloud's DynamoDB. */
export const localDocuments = (cloud: LocalCloud) =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: cloud.region, credentials: LOCAL_CREDENTIALS }),
  );
