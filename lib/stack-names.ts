/**
 * The stacks of one stage, by role: what `cdk deploy` names them, and what the operator scripts and the
 * e2e suite look up (`--stack Eightfold-<stage>`, `E2E_STAGE`). No CDK import, so scripts load it cheaply.
 */
export function stackNames(stage: string): { readonly eightfold: string; readonly legacy: string; readonly paymentProvider: string } {
  return { eightfold: `Eightfold-${stage}`, legacy: `EightfoldLegacy-${stage}`, paymentProvider: `EightfoldPaymentProvider-${stage}` };
}

/** The stage of an Eightfold stack's name (`dev` for `Eightfold-dev`), if it is one. */
export const stageOf = (stackName: string): string | undefined => /^Eightfold-(.+)$/.exec(stackName)?.[1];
