import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { EightfoldStack } from '../lib/eightfold-stack.ts';
import { LegacyStack } from '../lib/legacy-stack.ts';
import { PaymentProviderStack } from '../lib/payment-provider-stack.ts';

const app = new App();
const stage = String(app.node.tryGetContext('eightfold:stage') ?? 'dev');
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

const paymentProvider = new PaymentProviderStack(app, `EightfoldPaymentProvider-${stage}`, {
  env,
  description: 'Eightfold: a stand-in payment provider with deterministic declines and injectable faults',
});
// `-c legacyUrl=https://…/` points Eightfold at a real legacy system; otherwise the stand-in is deployed.
const legacyUrl = app.node.tryGetContext('legacyUrl') as string | undefined;
const legacy = legacyUrl
  ? { url: legacyUrl.endsWith('/') ? legacyUrl : `${legacyUrl}/` }
  : new LegacyStack(app, `EightfoldLegacy-${stage}`, {
      env,
      faults: paymentProvider.faults,
      description: 'Eightfold: a stand-in for the legacy monolith it strangles (catalog, customer profiles, old orders API and report)',
    });
new EightfoldStack(app, `Eightfold-${stage}`, {
  stage,
  version,
  paymentProvider,
  legacy,
  env,
  description: 'Eightfold: eight distributed-system patterns in one order service',
});
