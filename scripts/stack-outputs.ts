/** A deployed stack's CloudFormation outputs, by key (the operator scripts' `--stack NAME`). */
export async function stackOutputs(stackName: string): Promise<Record<string, string | undefined>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cloudformation = new CloudFormationClient({});
  try {
    const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue]));
  } finally {
    cloudformation.destroy();
  }
}

/** How an operator script finds one table: its flag, its environment variable, or the stack output naming it. */
export interface TableSource {
  readonly flag: string;
  readonly env: string;
  readonly output: string;
}

/** The tables a script needs, each by flag, environment or `--stack` output; exits 2 naming them if one is missing. */
export async function resolveTables<Name extends string>(flags: Record<string, unknown>, stackName: string | undefined, sources: Record<Name, TableSource>): Promise<Record<Name, string>> {
  const fromStack = stackName ? await stackOutputs(stackName) : {};
  const entries = Object.entries(sources) as [Name, TableSource][];
  const resolved = entries.map(([name, source]) => [name, (flags[source.flag] as string | undefined) ?? process.env[source.env] ?? fromStack[source.output]] as const);
  if (resolved.some(([, table]) => !table)) {
    const list = (items: string[]) => `${items.slice(0, -1).join(', ')}${items.length > 1 ? ' and ' : ''}${items.at(-1)}`;
    process.stderr.write(`Name the tables: ${list(entries.map(([, s]) => `--${s.flag}`))} (or ${entries.map(([, s]) => s.env).join(' / ')}, or --stack NAME on AWS)\n`);
    process.exit(2);
  }
  return Object.fromEntries(resolved) as Record<Name, string>;
}
