import { listRoutes } from './api-gateway/model.ts';
import { resourceName, type LocalCloud } from './types.ts';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The start-up report: endpoints, routes, resources, what is not emulated, and how to point tools here. */
export function startupReport(cloud: LocalCloud): string {
  const t = cloud.timings;
  const sections: string[] = [];
  sections.push(
    `Local cloud ready in ${(t.totalMs / 1000).toFixed(1)} s ` +
      `(synth ${t.synthCached ? 'cached' : `${(t.synthMs / 1000).toFixed(1)} s`}, services ${(t.servicesMs / 1000).toFixed(1)} s, ` +
      `resources ${(t.provisionMs / 1000).toFixed(1)} s)`,
  );
  sections.push(
    table(
      ['endpoint', 'url'],
      [
        ['REST API (API Gateway)', cloud.url],
        ['DynamoDB + Streams (DynamoDB Local)', cloud.endpoints.dynamodb],
        ['SNS + SQS (fauxqs)', cloud.endpoints.snsSqs],
        ['SSM parameters + Secrets Manager (local)', cloud.endpoints.parameters ?? ''],
        ['Lambda: invoke, list, get (local)', cloud.endpoints.lambda ?? ''],
        ['CloudWatch metrics (local)', cloud.endpoints.cloudwatch ?? ''],
        ["CloudWatch Logs: the functions' logs (local)", cloud.endpoints.logs ?? ''],
        ['CloudFormation stack outputs (local)', cloud.endpoints.cloudformation ?? ''],
        ['EventBridge PutEvents (local)', cloud.endpoints.eventbridge ?? ''],
        ['IAM: grants unused so far (GET /unused-grants)', cloud.endpoints.iamReport ?? ''],
      ].filter(([, url]) => url),
    ),
  );
  // The default API answers on bare paths; the others under their execute-api style prefix.
  const defaultApiId = cloud.defaultApiId ?? cloud.apiModel.apis[0]?.id;
  for (const api of [...cloud.apiModel.apis].sort((a, b) => Number(b.id === defaultApiId) - Number(a.id === defaultApiId))) {
    const prefix = api.id === defaultApiId ? cloud.url : `${cloud.url}/restapis/${api.id}/${api.stages[0]?.name}/_user_request_`;
    sections.push(
      `${api.name} (stage ${api.stages.map((s) => s.name).join(', ')}) at ${prefix}\n` +
        table(
          ['method', 'path', 'integration', 'caller'],
          listRoutes(api.root).map((r) => [
            r.method,
            r.path,
            r.integration,
            [r.apiKeyRequired ? 'api key' : '', r.authorizer ? `token (${r.authorizer})` : ''].filter(Boolean).join(', '),
          ]),
        ),
    );
  }
  if (cloud.apiModel.keys.length > 0) {
    sections.push(
      table(
        ['api key', 'value'],
        cloud.apiModel.keys.map((k) => [k.name, k.value]),
      ),
    );
  }
  const pools = cloud.resources.filter((r) => r.type === 'AWS::Cognito::UserPool');
  if (pools.length > 0) {
    sections.push(
      'Sign-in (Cognito user pools, each an OpenID Connect issuer here; POST {issuer}/local/token\n' +
        '{"sub":"<user>","groups":["<group>"]} mints an access token):\n' +
        table(
          ['user pool', 'issuer'],
          pools.map((r) => [(r.constructPath ?? r.logicalId).replace(/\/Resource$/, ''), String(r.attributes.ProviderURL)]),
        ),
    );
  }
  const byType = new Map<string, { kind: string; count: number }>();
  for (const r of cloud.resources) {
    const entry = byType.get(r.type) ?? { kind: r.kind, count: 0 };
    entry.count++;
    byType.set(r.type, entry);
  }
  sections.push(
    table(
      ['resource type', 'count', 'locally'],
      [...byType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, { kind, count }]) => [type, String(count), kind]),
    ),
  );
  if (cloud.notEmulated.length > 0) {
    sections.push(
      'Not emulated here, so started without (a Ref or GetAtt of one is a placeholder; --strict refuses them):\n' +
        table(
          ['resource', 'type', 'why', 'referred to by'],
          cloud.notEmulated.map((r) => [r.resource, r.type, r.reason, r.referredToBy.join(', ') || '(nothing)']),
        ),
    );
  }
  const named = cloud.resources.filter((r) => ['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SNS::Topic'].includes(r.type));
  if (named.length > 0) {
    sections.push(
      table(
        ['table, queue or topic', 'name'],
        named.map((r) => [resourceName(r), String(r.attributes.QueueName ?? r.attributes.TopicName ?? r.physicalId)]),
      ),
    );
  }
  sections.push(
    {
      on: "IAM: on. A function's call its role does not allow is refused, as AWS refuses it; --iam report only logs it",
      report: "IAM: report. A function's call its role does not allow is logged, not refused",
      off: 'IAM: off. Every call is allowed',
    }[cloud.iam],
  );
  sections.push(
    "Not emulated: IAM's SCPs, permission boundaries and policies set at run time; Lambda layers and non-Node.js runtimes, SNS delivery to Lambda/HTTP,\n" +
      'EventBridge archives and pipes, AWS integrations beyond SQS/SNS/DynamoDB/Lambda, ParallelizationFactor.',
  );
  sections.push(
    'Point the AWS CLI or SDK here:\n' +
      Object.entries(cloud.environment)
        .map(([key, value]) => `  export ${key}=${value}`)
        .join('\n'),
  );
  return sections.join('\n\n');
}
