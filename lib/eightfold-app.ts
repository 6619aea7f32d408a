import type { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { checkCompliance } from './compliance.ts';
import { EightfoldStack } from './eightfold-stack.ts';
import { LegacyStack } from './legacy-stack.ts';
import { PaymentProviderStack } from './payment-provider-stack.ts';
import { stackNames } from './stack-names.ts';

export interface EightfoldApp {
  readonly stage: string;
  readonly paymentProvider: PaymentProviderStack;
  /** Absent when `-c legacyUrl=…` points at a real legacy system. */
  readonly legacy?: LegacyStack;
  readonly eightfold: EightfoldStack;
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

  const paymentProvider = new PaymentProviderStack(app, names.paymentProvider, {
    env,
    description: 'Eightfold: a stand-in payment provider with deterministic declines and injectable faults',
  });
  // `-c legacyUrl=https://…/` points Eightfold at a real legacy system; otherwise the stand-in is deployed.
  const legacyUrl = app.node.tryGetContext('legacyUrl') as string | undefined;
  const legacy = legacyUrl
    ? undefined
    : new LegacyStack(app, names.legacy, {
        env,
        faults: paymentProvider.faults,
        description: 'Eightfold: a stand-in for the legacy monolith it strangles (catalog, customer profiles, old orders API and report)',
      });
  const eightfold = new EightfoldStack(app, names.eightfold, {
    stage,
    version,
    paymentProvider,
    legacy: legacy ?? { url: legacyUrl!.endsWith('/') ? legacyUrl! : `${legacyUrl}/` },
    env,
    description: 'Eightfold: eight distributed-system patterns in one order service',
  });
  checkCompliance(app);
  return { stage, paymentProvider, legacy, eightfold };
}
