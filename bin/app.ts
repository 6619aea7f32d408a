import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { EightfoldStack } from '../lib/eightfold-stack.ts';

const app = new App();
const stage = String(app.node.tryGetContext('eightfold:stage') ?? 'dev');
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

new EightfoldStack(app, `Eightfold-${stage}`, {
  stage,
  version,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Eightfold: eight distributed-system patterns in one order service',
});
