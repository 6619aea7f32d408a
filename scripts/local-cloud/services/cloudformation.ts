import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeXml } from '../xml.ts';
import { RegionalService } from './local-endpoint.ts';

/** A deployed stack as `DescribeStacks` tells of it. */
export interface LocalStackDescription {
  readonly stackName: string;
  readonly description?: string;
  readonly outputs: readonly { key: string; value: string; description?: string }[];
}

/**
 * CloudFormation, as far as finding a deployment needs it: `DescribeStacks` with each stack's outputs,
 * resolved as the local cloud resolved them. That is how the operator scripts' `--stack NAME` and the e2e
 * suite's remote mode find tables, queues and URLs, here as on AWS or LocalStack. AWS's query protocol.
 */
export class LocalCloudFormation extends RegionalService {
  private stacks: readonly LocalStackDescription[] = [];
  private readonly created = new Date();

  /** What is deployed now (after each deploy or reload). */
  setStacks(stacks: readonly LocalStackDescription[]): void {
    this.stacks = stacks;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const action = params.get('Action');
    if (action !== 'DescribeStacks')
      return replyError(res, 400, 'InvalidAction', `${action ?? 'a request without Action'} is not emulated locally (DescribeStacks is)`);
    const name = params.get('StackName');
    const stacks = name ? this.stacks.filter((s) => s.stackName === name || this.stackId(s.stackName) === name) : this.stacks;
    if (name && stacks.length === 0) return replyError(res, 400, 'ValidationError', `Stack with id ${name} does not exist`);
    const members = stacks.map(
      (s) =>
        `<member><StackName>${escapeXml(s.stackName)}</StackName><StackId>${escapeXml(this.stackId(s.stackName))}</StackId>` +
        (s.description ? `<Description>${escapeXml(s.description)}</Description>` : '') +
        `<CreationTime>${this.created.toISOString()}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>` +
        s.outputs
          .map(
            (o) =>
              `<member><OutputKey>${escapeXml(o.key)}</OutputKey><OutputValue>${escapeXml(o.value)}</OutputValue>${o.description ? `<Description>${escapeXml(o.description)}</Description>` : ''}</member>`,
          )
          .join('') +
        '</Outputs></member>',
    );
    reply(
      res,
      200,
      `<DescribeStacksResponse xmlns="${NAMESPACE}"><DescribeStacksResult><Stacks>${members.join('')}</Stacks></DescribeStacksResult>${metadata()}</DescribeStacksResponse>`,
    );
  }

  private stackId(stackName: string): string {
    return `arn:aws:cloudformation:${this.region}:${this.accountId}:stack/${stackName}/local`;
  }
}

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const metadata = () => `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`;

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(body);
}

function replyError(res: ServerResponse, status: number, code: string, message: string): void {
  reply(
    res,
    status,
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>${metadata()}</ErrorResponse>`,
  );
}
