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
