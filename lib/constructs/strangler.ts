import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  HttpIntegration,
  LambdaIntegration,
  MockIntegration,
  PassthroughBehavior,
  Resource,
  ResponseTransferMode,
  type IAuthorizer,
  type IResource,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { parseRouteKey, type RoutingTable } from '../../lambdas/patterns/strangler/index.ts';
import { EightfoldFunction } from './eightfold-function.ts';
import { acknowledge } from '../compliance.ts';
import { grantInvokeUnqualified } from './grants.ts';
import { SERVICE_API_STAGE } from './service-api.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

export interface StranglerFacadeProps {
  readonly api: RestApi;
  /** The API's stage name, as written (the stage's own attribute would make a dependency cycle). @default the ServiceApi stage */
  readonly stageName?: string;
  /** The legacy system's base URL, ending in `/`. */
  readonly legacyUrl: string;
  /** Per method + path, who answers (CDK context `eightfold:routes`; see lambdas/patterns/strangler/routing.ts). */
  readonly routes: RoutingTable;
  /** How long API Gateway waits for legacy (`stampLegacy: false` only): short, so an outage answers fast. @default 3 seconds */
  readonly legacyTimeout?: Duration;
  /**
   * Legacy's answers pass through a Lambda of the façade's (`legacy-proxy`) that stamps `X-Served-By: legacy`
   * on each (API Gateway cannot add a header to a proxied answer) and keeps a signed-in customer to their
   * own orders. `false` keeps plain `HTTP_PROXY` integrations (no hop, no Lambda per request): legacy's
   * answers then say whatever legacy says, and legacy alone decides who sees what.
   * @default true
   */
  readonly stampLegacy?: boolean;
  /** Top-level paths that are Eightfold's alone and never fall through to legacy. @default ['ops'] */
  readonly ownPaths?: string[];
  /**
   * Top-level paths of legacy's that the public must never reach through the façade: they answer 404 from
   * API Gateway itself. Legacy's integration API is Eightfold's alone, called through its ambassador.
   * @default ['integration']
   */
  readonly closedPaths?: string[];
  /**
   * Signs callers in on every route Eightfold declares, whoever serves it (a route left with legacy too:
   * moving it changes who answers, never who may ask). What Eightfold does not declare stays legacy's own.
   * @default none
   */
  readonly authorizer?: IAuthorizer;
}

/** The router's Powertools service name: a dimension of the counts it writes. */
const ROUTER_SERVICE_NAME = 'strangler-router';

export interface ServeOptions {
  /** Whether the route may run in `shadow` mode: not if even a dry run has effects (a payment). @default true */
  readonly shadowable?: boolean;
}

/**
 * Strangler Fig, the façade. Eightfold declares what it can serve (`serve`); the routing table decides, per
 * route, who does: an `eightfold` route is a plain Lambda integration; a `legacy` route goes through the
 * façade's proxy, which stamps `X-Served-By: legacy` and keeps signed-in callers to their own (or, with
 * `stampLegacy: false`, a plain HTTP proxy); `shadow` and `weighted` routes go through the strangler router.
 * Whatever the table does not list goes to legacy: a `{proxy+}` catch-all for unknown paths, and an `ANY` on
 * every other path for the methods it does not serve (API Gateway never falls back from a matched resource
 * to the catch-all); `/integration/*` answers 404 itself. Call `build` once every route is declared.
 */
export class StranglerFacade extends Construct {
  /** What shadow runs found, per route (GET /ops/routes). */
  readonly shadowComparisons: Table;
  private readonly props: StranglerFacadeProps;
  private readonly served = new Map<string, { fn: IFunction; shadowable: boolean }>();
  private router?: EightfoldFunction;
  private shadow?: EightfoldFunction;
  private legacyProxy?: LambdaIntegration;

  constructor(scope: Construct, id: string, props: StranglerFacadeProps) {
    super(scope, id);
    this.props = props;
    this.shadowComparisons = new Table(this, 'ShadowComparisons', {
      partitionKey: { name: 'route', type: AttributeType.STRING },
      sortKey: { name: 'entry', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.shadowComparisons, {
      'AwsSolutions-DDB3': 'Diagnostics of a migration, expiring by TTL: shadowing anew recreates them.',
    });
  }

  /** Eightfold can serve `route` (`METHOD /path`) with `fn`; the routing table decides whether it does. */
  serve(route: string, fn: IFunction, options: ServeOptions = {}): void {
    parseRouteKey(route);
    if (this.served.has(route)) throw new Error(`Route ${route} is served twice`);
    this.served.set(route, { fn, shadowable: options.shadowable ?? true });
  }

  /** Builds every route of the table, then sends everything else to legacy. */
  build(): void {
    const { api, routes } = this.props;
    for (const route of this.served.keys()) {
      if (!routes[route])
        throw new Error(`eightfold:routes has no mode for ${route}, which Eightfold serves: add it (mode "legacy" keeps it on legacy)`);
    }
    const viaRouter: Record<string, unknown> = {};
    for (const [key, route] of Object.entries(routes)) {
      const { method, path } = parseRouteKey(key);
      const resource = api.root.resourceForPath(path);
      if (route.mode === 'legacy') {
        this.addLegacyMethod(resource, path, method, this.served.has(key));
        continue;
      }
      const served = this.served.get(key);
      if (!served)
        throw new Error(`eightfold:routes sends ${key} to Eightfold (mode "${route.mode}"), but no Eightfold function serves it`);
      if (route.mode === 'shadow' && !served.shadowable) throw new Error(`${key} cannot be shadowed: even a dry run of it has effects`);
      if (route.mode === 'eightfold') {
        resource.addMethod(method, new LambdaIntegration(served.fn), { authorizer: this.props.authorizer });
        continue;
      }
      viaRouter[key] = { ...route, target: served.fn.functionName };
      // Streamed, so the router can finish a shadow run's hand-off after the client has its whole answer.
      resource.addMethod(
        method,
        new LambdaIntegration(this.routerFor(served.fn, route.mode === 'shadow'), { responseTransferMode: ResponseTransferMode.STREAM }),
        { authorizer: this.props.authorizer },
      );
    }
    if (this.router) this.router.addEnvironment(ENV.strangler.routes, Stack.of(this).toJsonString(viaRouter));
    if (this.shadow) this.shadow.addEnvironment(ENV.strangler.routes, Stack.of(this).toJsonString(viaRouter));
    this.routeTheRestToLegacy();
  }

  /**
   * Operators read the routing table, what shadow runs found, and who served each route: API Gateway's
   * per-method counts (the stage's detailed metrics) and the router's own (EMF), from CloudWatch.
   */
  grantObserve(fn: EightfoldFunction): void {
    this.shadowComparisons.grant(fn, 'dynamodb:Query');
    // GetMetricData has no resource-level permissions.
    fn.addToRolePolicy(new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    this.grantReadRoutes(fn);
    fn.addEnvironment(ENV.strangler.shadowComparisons, this.shadowComparisons.tableName);
    fn.addEnvironment(ENV.strangler.apiName, this.props.api.restApiName);
    fn.addEnvironment(ENV.strangler.apiStage, this.props.stageName ?? SERVICE_API_STAGE);
    fn.addEnvironment(ENV.strangler.routerService, ROUTER_SERVICE_NAME);
  }

  /** Reads the routing table (who owns each route's writes): legacy's change capture settles conflicts by it. */
  grantReadRoutes(fn: EightfoldFunction): void {
    fn.addEnvironment(ENV.strangler.routingTable, JSON.stringify(this.props.routes));
  }

  /** The router (made on first use), allowed to invoke `target`; and the shadow function, if `shadow`. */
  private routerFor(target: IFunction, shadow: boolean): EightfoldFunction {
    if (!this.router) {
      this.router = new EightfoldFunction(this, 'Router', {
        handler: 'strangler-router',
        serviceName: ROUTER_SERVICE_NAME,
        // Legacy's 3 s, or the Eightfold function's own answer, within API Gateway's 29 s.
        timeout: Duration.seconds(28),
        // No shadow function until a route is shadowed.
        environment: { [ENV.strangler.legacyUrl]: this.props.legacyUrl, [ENV.strangler.shadowFunction]: 'none' },
      });
    }
    grantInvokeUnqualified(this.router, target);
    if (shadow) {
      if (!this.shadow) {
        this.shadow = new EightfoldFunction(this, 'Shadow', {
          handler: 'strangler-shadow',
          serviceName: 'strangler-shadow',
          timeout: Duration.seconds(30),
          environment: { [ENV.strangler.shadowComparisons]: this.shadowComparisons.tableName },
        });
        // A comparison is a statistic: one attempt, so a run that failed halfway is never counted twice.
        this.shadow.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });
        this.shadowComparisons.grant(this.shadow, 'dynamodb:UpdateItem', 'dynamodb:PutItem');
        grantInvokeUnqualified(this.router, this.shadow);
        this.router.addEnvironment(ENV.strangler.shadowFunction, this.shadow.functionName);
      }
      grantInvokeUnqualified(this.shadow, target);
    }
    return this.router;
  }

  private routeTheRestToLegacy(): void {
    const { api } = this.props;
    const closed = this.props.closedPaths ?? ['integration'];
    for (const path of closed) this.close(api.root.resourceForPath(`/${path}`));
    const own = new Set([...(this.props.ownPaths ?? ['ops']), ...closed]);
    const visit = (resource: IResource): void => {
      if (resource.path.split('/')[1] && own.has(resource.path.split('/')[1]!)) return;
      for (const child of resource.node.children) if (child instanceof Resource) visit(child);
      this.addLegacyMethod(resource, resource.path, 'ANY');
    };
    visit(api.root);
    this.addLegacyMethod(api.root.addResource('{proxy+}'), '/{proxy}', 'ANY');
  }

  /** Every method on the resource and below it answers 404 from API Gateway: nothing reaches legacy. */
  private close(resource: IResource): void {
    const notFound = JSON.stringify({ error: { code: 'NOT_FOUND', message: `No route ${resource.path} here` } });
    const integration = new MockIntegration({
      requestTemplates: { 'application/json': '{"statusCode": 404}' },
      passthroughBehavior: PassthroughBehavior.NEVER,
      integrationResponses: [
        {
          statusCode: '404',
          responseTemplates: { 'application/json': notFound },
          responseParameters: {
            'method.response.header.X-Served-By': "'gateway'",
            'method.response.header.Content-Type': "'application/json'",
          },
        },
      ],
    });
    const options = {
      methodResponses: [
        {
          statusCode: '404',
          responseParameters: { 'method.response.header.X-Served-By': true, 'method.response.header.Content-Type': true },
        },
      ],
    };
    resource.addMethod('ANY', integration, options);
    resource.addResource('{proxy+}').addMethod('ANY', integration, options);
  }

  /** The façade's hop to legacy, made on first use: one function, one permission for every method it serves. */
  private stampingProxy(): LambdaIntegration {
    if (!this.legacyProxy) {
      const fn = new EightfoldFunction(this, 'LegacyProxy', {
        handler: 'legacy-proxy',
        serviceName: 'legacy-proxy',
        // Legacy's 3 s, and the answer's way back.
        timeout: Duration.seconds(5),
        environment: { [ENV.strangler.legacyUrl]: this.props.legacyUrl },
      });
      this.legacyProxy = new LambdaIntegration(fn, { scopePermissionToMethod: false });
    }
    return this.legacyProxy;
  }

  /** `method` on this resource, proxied to the same path on legacy, path parameters carried over; `signedIn`: behind the authorizer. */
  private addLegacyMethod(resource: IResource, path: string, method: string, signedIn = false): void {
    const authorization = signedIn ? { authorizer: this.props.authorizer } : {};
    if (this.props.stampLegacy ?? true) {
      resource.addMethod(method, this.stampingProxy(), authorization);
      return;
    }
    const params = [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]!);
    const integration = new HttpIntegration(`${this.props.legacyUrl}${path.replace(/^\//, '')}`, {
      proxy: true,
      httpMethod: method,
      options: {
        timeout: this.props.legacyTimeout ?? Duration.seconds(3),
        requestParameters: Object.fromEntries(params.map((p) => [`integration.request.path.${p}`, `method.request.path.${p}`])),
      },
    });
    resource.addMethod(method, integration, {
      requestParameters: Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true])),
      ...authorization,
    });
  }
}
