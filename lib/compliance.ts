import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag's AWS Solutions pack over the whole app, as a CDK policy-validation plugin: synth fails on any
 * finding not acknowledged, and an acknowledgement must say why (see `acknowledge`).
 */
export function checkCompliance(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** Acknowledges cdk-nag findings on a construct and everything in it: finding id → the reason it stands. */
export function acknowledge(scope: IConstruct, findings: Readonly<Record<string, string>>): void {
  for (const [id, reason] of Object.entries(findings)) Validations.of(scope).acknowledge({ id, reason });
}
