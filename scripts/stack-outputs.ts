import type { CloudFormationClientConfig } from '@aws-sdk/client-cloudformation';
import { stackNames, stageOf } from '../lib/stack-names.ts';

/**
 * A deployed stack's CloudFormation outputs, by key (the operator scripts' `--stack NAME`): on AWS, on
 * LocalStack, or on the local cloud (`AWS_ENDPOINT_URL_CLOUDFORMATION` from its start-up report).
 */
export async function stackOutputs(
  stackName: string,
  config: CloudFormationClientConfig = {},
): Promise<Record<string, string | undefined>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cloudformation = new CloudFormationClient(config);
  try {
    const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue]));
  } finally {
    cloudformation.destroy();
  }
}

/**
 * The outputs of `Eightfold-<stage>` and of the stand-ins deployed beside it (`EightfoldLegacy-<stage>`,
 * `EightfoldPaymentProvider-<stage>`), which hold legacy's and the provider's tables. A stand-in that is not
 * deployed (`-c legacyUrl=…` points at a real legacy system) adds nothing.
 */
async function deploymentOutputs(stackName: string): Promise<Record<string, string | undefined>> {
  const stage = stageOf(stackName);
  const names = stage ? stackNames(stage) : undefined;
  const standIns = names ? [names.legacy, names.paymentProvider] : [];
  const [own, ...others] = await Promise.all([stackOutputs(stackName), ...standIns.map((name) => stackOutputs(name).catch(() => ({})))]);
  return Object.assign({}, ...others, own);
}

/** How an operator script finds one table: its flag, its environment variable, or the stack output naming it. */
export interface TableSource {
  readonly flag: string;
  readonly env: string;
  readonly output: string;
}

/**
 * The tables a script needs, each by flag, environment or `--stack` output (the stand-ins' stacks' too);
 * exits 2 naming them if one is missing. `optional` tables are looked up alike and left undefined when not found.
 */
export async function resolveTables<Name extends string, Optional extends string = never>(
  flags: Record<string, unknown>,
  stackName: string | undefined,
  sources: Record<Name, TableSource>,
  optional?: Record<Optional, TableSource>,
): Promise<Record<Name, string> & Partial<Record<Optional, string>>> {
  const fromStack = stackName ? await deploymentOutputs(stackName) : {};
  const lookUp = (source: TableSource) => (flags[source.flag] as string | undefined) ?? process.env[source.env] ?? fromStack[source.output];
  const entries = Object.entries(sources) as [Name, TableSource][];
  const resolved = entries.map(([name, source]) => [name, lookUp(source)] as const);
  if (resolved.some(([, table]) => !table)) {
    const list = (items: string[]) => `${items.slice(0, -1).join(', ')}${items.length > 1 ? ' and ' : ''}${items.at(-1)}`;
    process.stderr.write(
      `Name the tables: ${list(entries.map(([, s]) => `--${s.flag}`))} (or ${entries.map(([, s]) => s.env).join(' / ')}, or --stack NAME on AWS)\n`,
    );
    process.exit(2);
  }
  const extra = Object.entries(optional ?? {}) as [Optional, TableSource][];
  return Object.fromEntries([...resolved, ...extra.map(([name, source]) => [name, lookUp(source)] as const)]) as Record<Name, string> &
    Partial<Record<Optional, string>>;
}
