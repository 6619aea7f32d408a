import { Tags, type App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { checkCompliance } from './compliance.ts';
import { EightfoldStack } from './eightfold-stack.ts';
import { LegacyStack } from './legacy-stack.ts';
import { PaymentProviderStack } from './payment-provider-stack.ts';
import { stackNames } from './stack-names.ts';
import type { FaultTarget } from '../lambdas/platform/faults.ts';

export interface EightfoldApp {
  readonly stage: string;
  /** Absent when `-c paymentProviderUrl=…` points at a real provider, and in prod unless asked for. */
  readonly paymentProvider?: PaymentProviderStack;
  /** Absent when `-c legacyUrl=… -c legacySecretArn=…` point at a real legacy system. */
  readonly legacy?: LegacyStack;
  readonly eightfold: EightfoldStack;
}

const SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/**
 * A real payment provider (`-c paymentProviderUrl=https://… -c paymentProviderSecretArn=<complete ARN>`), or
 * undefined for the stand-in. Production never deploys the stand-in unless asked (`-c paymentProviderStandIn=true`):
 * a shop in production takes real money.
 */
function paymentProviderOf(app: App, stage: string): { url: string; apiToken: string } | undefined {
  const url = app.node.tryGetContext('paymentProviderUrl') as string | undefined;
  const secretArn = app.node.tryGetContext('paymentProviderSecretArn') as string | undefined;
  const standIn = String(app.node.tryGetContext('paymentProviderStandIn') ?? '') === 'true';
  if (!url !== !secretArn)
    throw new Error(
      'A real payment provider needs both -c paymentProviderUrl=https://… and -c paymentProviderSecretArn=<the complete ARN of its token’s secret>',
    );
  if (url) {
    if (standIn)
      throw new Error(
        '-c paymentProviderStandIn=true and -c paymentProviderUrl=… exclude each other: pick the stand-in or the real provider',
      );
    if (!/^https:\/\/[^\s/]+/.test(url)) throw new Error(`paymentProviderUrl must be an https:// URL, got "${url}"`);
    if (!SECRET_ARN.test(secretArn!))
      throw new Error(`paymentProviderSecretArn must be a secret's complete ARN (…:secret:name-AbCdEf), got "${secretArn}"`);
    return { url: url.endsWith('/') ? url : `${url}/`, apiToken: secretArn! };
  }
  if (stage === 'prod' && !standIn) {
    throw new Error(
      'The prod stage deploys no payment-provider stand-in: point Eightfold at your provider with -c paymentProviderUrl=https://… -c paymentProviderSecretArn=arn:aws:secretsmanager:…, or deploy the stand-in anyway with -c paymentProviderStandIn=true',
    );
  }
  return undefined;
}

/**
 * Every stack of a stage (`-c stage=dev|prod`, or `-c eightfold:stage=…`; default dev), checked by
 * cdk-nag's AWS Solutions pack: what `cdk synth` and `cdk deploy` build, and what the infra tests synthesize.
 */
export function defineEightfold(app: App): EightfoldApp {
  const stage = String(app.node.tryGetContext('stage') ?? app.node.tryGetContext('eightfold:stage') ?? 'dev');
  if (stage !== 'dev' && stage !== 'prod') throw new Error(`Unknown stage "${stage}": -c stage=dev or -c stage=prod`);
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const names = stackNames(stage);

  const realProvider = paymentProviderOf(app, stage);
  const paymentProvider = realProvider
    ? undefined
    : new PaymentProviderStack(app, names.paymentProvider, {
        env,
        description: 'Eightfold: a stand-in payment provider with deterministic declines and injectable faults',
      });
  // `-c legacyUrl=https://…/ -c legacySecretArn=…` points Eightfold at a real legacy system; otherwise the stand-in is deployed.
  const legacyUrl = app.node.tryGetContext('legacyUrl') as string | undefined;
  const legacySecretArn = app.node.tryGetContext('legacySecretArn') as string | undefined;
  if (!legacyUrl !== !legacySecretArn)
    throw new Error(
      'A real legacy system needs both -c legacyUrl=https://… and -c legacySecretArn=<the complete ARN of its integration API’s bearer token>',
    );
  if (legacySecretArn && !SECRET_ARN.test(legacySecretArn))
    throw new Error(`legacySecretArn must be a secret's complete ARN (…:secret:name-AbCdEf), got "${legacySecretArn}"`);
  const legacy = legacyUrl
    ? undefined
    : new LegacyStack(app, names.legacy, {
        env,
        faults: paymentProvider?.faults,
        description: 'Eightfold: a stand-in for the legacy monolith it strangles (catalog, customer profiles, old orders API and report)',
      });
  const faultTargets: FaultTarget[] = [
    ...(paymentProvider ? (['payment-provider'] as const) : []),
    ...(legacy ? (['legacy'] as const) : []),
  ];
  const faults = paymentProvider?.faults ?? legacy?.faults;
  const eightfold = new EightfoldStack(app, names.eightfold, {
    stage,
    version,
    paymentProvider: realProvider ?? paymentProvider!,
    faults: faults && { table: faults, targets: faultTargets },
    legacy: legacy ?? { url: legacyUrl!.endsWith('/') ? legacyUrl! : `${legacyUrl}/`, integrationToken: legacySecretArn! },
    env,
    description: 'Eightfold: eight distributed-system patterns in one order service',
  });
  // Every taggable resource says what it belongs to: cost reports and cleanups find a stage's whole footprint.
  Tags.of(app).add('project', 'eightfold');
  Tags.of(app).add('stage', stage);
  checkCompliance(app);
  return { stage, paymentProvider, legacy, eightfold };
}
