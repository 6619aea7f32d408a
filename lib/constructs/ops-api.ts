import { LambdaIntegration, type IAuthorizer, type IResource, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FaultTarget } from '../../lambdas/platform/faults.ts';
import type { AuditLog } from './audit-log.ts';
import type { CircuitBreakers } from './circuit-breaker.ts';
import { EightfoldFunction } from './eightfold-function.ts';
import type { LeaderElection } from './leader-election.ts';
import type { Sharding } from './sharding.ts';
import type { StranglerFacade } from './strangler.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

export interface OpsApiProps {
  readonly api: RestApi;
  /** Signs operators in: its policy denies /ops to everyone else, and the function checks the role again. */
  readonly authorizer: IAuthorizer;
  /** Fault injection and step-down exist everywhere but `prod`. */
  readonly stage: string;
  readonly breakers: CircuitBreakers;
  /** The breakers the ambassadors use: listed before their first call. */
  readonly knownBreakers: readonly string[];
  readonly leaderElection: LeaderElection;
  readonly sharding: Sharding;
  readonly strangler: StranglerFacade;
  readonly auditLog: AuditLog;
  /** Each subscriber's queue (none for a stream consumer) and dead-letter queue, for `GET /ops/queues`. */
  readonly queues: readonly { readonly name: string; readonly queue?: IQueue; readonly deadLetterQueue: IQueue }[];
  /** The stand-ins' faults table and the stand-ins it reaches. @default none: no `PUT /ops/faults/{target}` */
  readonly faults?: { readonly table: ITable; readonly targets: readonly FaultTarget[] };
}

/**
 * The operators' API under /ops, for operators signed in (the authorizer's policy, and the role checked
 * again in the function): breakers, the leader,
 * shards, routes, queues, recent events and the leader's resignation everywhere; fault injection and step-down
 * outside production.
 * One function serves it, granted exactly what each route reads or changes. Beside it, the ops console
 * (`GET /console`): a page that calls these routes with the token its operator pastes in.
 */
export class OpsApi extends Construct {
  readonly function: EightfoldFunction;

  constructor(scope: Construct, id: string, props: OpsApiProps) {
    super(scope, id);
    const { api, stage } = props;
    const fn = (this.function = new EightfoldFunction(this, 'Function', {
      handler: 'ops',
      serviceName: 'ops',
      environment: { [ENV.deployment.stage]: stage },
    }));
    props.breakers.grantOperate(fn, props.knownBreakers);
    props.leaderElection.grantObserve(fn);
    props.sharding.grantObserve(fn);
    props.strangler.grantObserve(fn);
    props.auditLog.grantTail(fn);
    for (const { queue, deadLetterQueue } of props.queues) for (const q of [queue, deadLetterQueue]) q?.grant(fn, 'sqs:GetQueueAttributes');
    const observed = props.queues.map(({ name, queue, deadLetterQueue }) => ({
      name,
      url: queue?.queueUrl,
      deadLetterUrl: deadLetterQueue.queueUrl,
    }));
    fn.addEnvironment(ENV.ops.observedQueues, api.stack.toJsonString(observed));

    const integration = new LambdaIntegration(fn);
    const ops = api.root.addResource('ops');
    const route = (resource: IResource, method: string) => resource.addMethod(method, integration, { authorizer: props.authorizer });
    const breakers = ops.addResource('breakers');
    route(breakers, 'GET');
    route(breakers.addResource('{name}'), 'PUT');
    const leader = ops.addResource('leader');
    route(leader, 'GET');
    for (const path of ['shards', 'routes', 'events', 'queues']) route(ops.addResource(path), 'GET');
    if (stage !== 'prod' && props.faults) {
      props.faults.table.grant(fn, 'dynamodb:PutItem');
      fn.addEnvironment(ENV.faults.table, props.faults.table.tableName);
      fn.addEnvironment(ENV.ops.faultTargets, props.faults.targets.join(','));
      route(ops.addResource('faults').addResource('{target}'), 'PUT');
    }
    // A graceful hand-over in every stage; the crash's simulation outside production.
    props.leaderElection.grantHandOver(fn);
    route(leader.addResource('resign'), 'POST');
    if (stage !== 'prod') route(leader.addResource('step-down'), 'POST');

    const opsConsole = new EightfoldFunction(this, 'ConsoleFunction', {
      handler: 'console',
      serviceName: 'console',
      environment: { [ENV.deployment.stage]: stage },
      memorySize: 128,
    });
    api.root.addResource('console').addMethod('GET', new LambdaIntegration(opsConsole));
  }
}
