import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { LocalApiGateway } from './api-gateway/gateway.ts';
import { readAssembly, synthesize } from './assembly.ts';
import { endpointEnvironment, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, type ServiceEndpoints } from './environment.ts';
import { FunctionRuntime, type InvokeOutcome } from './lambda/function-runtime.ts';
import { CheckpointStore } from './pollers/checkpoints.ts';
import type { LocalServices } from './resources/types.ts';
import { LocalCloudFormation } from './services/cloudformation.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from './services/dynamodb-local.ts';
import { startServiceProxy } from './services/service-proxy.ts';
import type { StreamReply } from './lambda/protocol.ts';
import { LocalLambdaApi } from './services/lambda-api.ts';
import { LocalMetrics } from './services/metrics.ts';
import { LocalParameterStore } from './services/parameters.ts';
import { LocalIdentityProvider } from './services/identity.ts';
import { LocalLogs } from './services/logs.ts';
import { assertPortsFree, freePort, reservePort, SERVICE_NAMES, type ServiceName } from './services/ports.ts';
import { startSnsSqs, type SnsSqsEmulator } from './services/sns-sqs.ts';
import { LocalEventBridge } from './services/eventbridge.ts';
import { LocalIamReport } from './services/iam.ts';
import { callAwsService, type AwsServiceClients } from './api-gateway/aws-services.ts';
import { accessKeyIdOf, IamAuthorizer } from './iam/authorizer.ts';
import { authorizeDynamoDb } from './iam/dynamodb-requests.ts';
import { authorizeSns, authorizeSqs } from './iam/messaging-requests.ts';
import { callersOf, mappingActionsOf, rolesOf, tablesOf, type TableInfo } from './iam/roles.ts';
import { resourcePoliciesOf } from './iam/resource-policies.ts';
import { deploy, functionKey, undeploy, type Deployment, type DeployContext } from './deployment.ts';
import { findResource } from './provisioning.ts';
import { TIME_SCALE_CONTEXT, type LocalCloud, type LocalCloudOptions, type LocalResource, type ReloadSummary } from './types.ts';

/** Boots the whole synthesized app on this machine: see docs/local-cloud.md. */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const started = performance.now();
  const appDir = resolvePath(options.appDir ?? process.cwd());
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const log = options.onLog ?? ((source: string, line: string) => process.stdout.write(`[${source}] ${line}\n`));
  const userFunctionLog = options.onFunctionLog ?? ((functionName: string, line: string) => log(functionName, line));
  const metrics = new LocalMetrics();
  const logs = new LocalLogs(region, LOCAL_ACCOUNT_ID);
  // A function's lines land in its log group; embedded-metric-format ones become data points too, as on AWS.
  const functionLog = (functionName: string, line: string, logStream: string) => {
    metrics.recordLogLine(line);
    logs.put(`/aws/lambda/${functionName}`, logStream, line);
    userFunctionLog(functionName, line, logStream);
  };
  const persist = options.persistDir ? resolvePath(options.persistDir) : undefined;
  // The app is told the time scale, so the durations it sets itself (leases, timeouts) can shrink alike.
  const timeContext = options.timeScale && options.timeScale !== 1 ? { [TIME_SCALE_CONTEXT]: options.timeScale } : {};
  const synthOptions = { appDir, outDir: options.outDir, context: { ...timeContext, ...options.context } };
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log('local-cloud', `stop: ${String(error)}`);
      }
    }
  };

  try {
    // Every fixed port is checked before anything starts: the gateway's is chosen now, so execute-api URLs
    // can be resolved to it.
    const host = options.host ?? '127.0.0.1';
    const ports = { ...Object.fromEntries(SERVICE_NAMES.map((name) => [name, 0])), ...options.servicePorts } as Record<ServiceName, number>;
    await assertPortsFree({ api: options.port ?? 3000, ...ports }, host === '0.0.0.0' ? '127.0.0.1' : host);
    // Held from now until the gateway listens on it, so no service started meanwhile can take it.
    const apiPort = await reservePort(options.port ?? 3000, host);
    const port = apiPort.port;
    let apiPortHeld = true;
    cleanups.push(() => (apiPortHeld ? apiPort.release() : undefined));

    // Before anything starts: enforcement without its evaluator installed is refused at once.
    const iam = await IamAuthorizer.create(options.iam ?? 'on', LOCAL_ACCOUNT_ID, (line) => log('iam', line));
    const enforced = iam.mode !== 'off';

    // Java start-up and synthesis are the slow parts: run them side by side.
    const servicesStarted = performance.now();
    // With a proxy in front (IAM, or counting), the proxy takes DynamoDB's port and DynamoDB Local a free one.
    const dynamodbProxied = options.countDynamoDbRequests || enforced;
    const dynamoPromise = startDynamoDbLocal({ port: dynamodbProxied ? 0 : ports.dynamodb, dataDir: persist && join(persist, 'dynamodb') });
    dynamoPromise.then(
      (d) => cleanups.push(() => d.stop()),
      () => undefined,
    );
    // With IAM, SQS is reached through a proxy on its port (queue URLs name it) and fauxqs listens on a free one.
    const sqsPort = enforced ? ports['sns-sqs'] || (await freePort()) : ports['sns-sqs'];
    const snsSqsPromise = startSnsSqs({
      port: enforced ? 0 : sqsPort,
      publicPort: sqsPort,
      dataDir: persist && join(persist, 'sns-sqs'),
      region,
      // SNS delivers to a queue only as the queue's policy lets it, as on AWS.
      mayDeliver: enforced ? (topicArn, queueArn) => iam.serviceMay('sns.amazonaws.com', 'sqs:SendMessage', queueArn, topicArn) : undefined,
    });
    snsSqsPromise.then(
      (s) => cleanups.push(() => s.stop()),
      () => undefined,
    );
    const synthPromise = synthesize({ ...synthOptions, force: options.forceSynth });
    const [synth, dynamo, snsSqs] = (await Promise.all([synthPromise, dynamoPromise, snsSqsPromise])) as [
      Awaited<typeof synthPromise>,
      DynamoDbLocal,
      SnsSqsEmulator,
    ];
    const servicesMs = performance.now() - servicesStarted;
    if (!dynamo.loopbackOnly) {
      log(
        'local-cloud',
        'DynamoDB Local listens on every interface: this Java runtime has no compiler module (jdk.compiler) for its loopback launcher',
      );
    }

    const provisionStarted = performance.now();
    const snsProxy = await startServiceProxy(snsSqs.endpoint, {
      service: 'SNS',
      port: ports.sns,
      authorize: enforced ? authorizeSns(iam) : undefined,
    });
    cleanups.push(() => snsProxy.stop());
    const queueArnOf = (name: string) => `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`;
    const sqsProxy = enforced
      ? await startServiceProxy(snsSqs.endpoint, { service: 'SQS', port: sqsPort, authorize: authorizeSqs(iam, queueArnOf) })
      : undefined;
    if (sqsProxy) cleanups.push(() => sqsProxy.stop());
    // Functions reach DynamoDB through a proxy that checks each call against their roles (and counts, if asked).
    let tables: ReadonlyMap<string, TableInfo> = new Map();
    const dynamodbProxy = dynamodbProxied
      ? await startServiceProxy(dynamo.endpoint, {
          service: 'DynamoDB',
          port: ports.dynamodb,
          countRequests: options.countDynamoDbRequests,
          authorize: enforced ? authorizeDynamoDb(iam, () => tables) : undefined,
        })
      : undefined;
    if (dynamodbProxy) cleanups.push(() => dynamodbProxy.stop());
    const parameterStore = new LocalParameterStore(region, LOCAL_ACCOUNT_ID);
    await parameterStore.start(ports.parameters);
    cleanups.push(() => parameterStore.stop());
    const identity = new LocalIdentityProvider(region, LOCAL_ACCOUNT_ID, persist && join(persist, 'identity-key.json'));
    await identity.start(ports.identity);
    cleanups.push(() => identity.stop());
    // Functions invoking functions reach them through the Lambda API, which is told of them once deployed.
    let invokeDeployed: (id: string, event: unknown) => Promise<InvokeOutcome> = () => Promise.reject(new Error('nothing is deployed yet'));
    let current: Deployment | undefined;
    const lambdaApi = new LocalLambdaApi({
      invoke: (id, event) => invokeDeployed(id, event),
      functions: () => [...(current?.functions.values() ?? [])].map((f) => f.config),
      log: (line) => log('lambda', line),
    });
    await lambdaApi.start(ports.lambda);
    cleanups.push(() => lambdaApi.stop());
    await metrics.start(ports.cloudwatch);
    cleanups.push(() => metrics.stop());
    await logs.start(ports.logs);
    cleanups.push(() => logs.stop());
    const cloudformation = new LocalCloudFormation(region, LOCAL_ACCOUNT_ID);
    await cloudformation.start(ports.cloudformation);
    cleanups.push(() => cloudformation.stop());
    const eventbridge = new LocalEventBridge(() => current?.eventBuses);
    await eventbridge.start(ports.eventbridge);
    cleanups.push(() => eventbridge.stop());
    const iamReport = new LocalIamReport(iam);
    await iamReport.start(ports.iam);
    cleanups.push(() => iamReport.stop());
    // Each run's grants and their use, written on stop where LOCAL_CLOUD_GRANT_USE_DIR says: a test suite's
    // runs together show the grants no run used (scripts/test.ts reports them).
    const grantUseDir = process.env.LOCAL_CLOUD_GRANT_USE_DIR;
    if (grantUseDir && enforced) {
      cleanups.push(() => writeFileSync(join(grantUseDir, `${process.pid}-${randomUUID()}.json`), JSON.stringify(iam.grantUse())));
    }
    // The emulated services judge each function's call by its role too.
    if (enforced) for (const service of [parameterStore, lambdaApi, eventbridge, metrics, logs]) service.guardWith(iam);
    const endpoints: ServiceEndpoints = {
      dynamodb: dynamodbProxy?.endpoint ?? dynamo.endpoint,
      snsSqs: sqsProxy?.endpoint ?? snsSqs.endpoint,
      sns: snsProxy.endpoint,
      parameters: parameterStore.endpoint,
      lambda: lambdaApi.endpoint,
      cloudwatch: metrics.endpoint,
      logs: logs.endpoint,
      cloudformation: cloudformation.endpoint,
      eventbridge: eventbridge.endpoint,
      iamReport: iamReport.endpoint,
    };
    /** Clients of the services that calls as `credentials` go through, each by its endpoint (the IAM proxies, with IAM on). */
    const clientsOf = (credentials: { accessKeyId: string; secretAccessKey: string }): AwsServiceClients => ({
      dynamodb: new DynamoDBClient({ region, credentials, endpoint: endpoints.dynamodb }),
      sqs: new SQSClient({ region, credentials, endpoint: endpoints.snsSqs }),
      // Through the proxy, as functions' calls go: an SNS outage reaches what the cloud itself publishes (EventBridge's deliveries, on-failure destinations).
      sns: new SNSClient({ region, credentials, endpoint: endpoints.sns }),
    });
    const destroy = (clients: AwsServiceClients) => [clients.dynamodb, clients.sqs, clients.sns].forEach((client) => client.destroy());
    const services: LocalServices = {
      region,
      accountId: LOCAL_ACCOUNT_ID,
      ...clientsOf(LOCAL_CREDENTIALS),
      parameters: parameterStore,
      identity,
    };
    const streams = new DynamoDBStreamsClient({ region, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.dynamodb });
    cleanups.push(() => {
      destroy(services);
      streams.destroy();
    });
    /** The local credentials of a function or role, by its ARN: what it calls with, so the services know who calls. */
    const credentialsOf = (arn: string) => ({ ...LOCAL_CREDENTIALS, accessKeyId: accessKeyIdOf(arn) });
    // An API's AWS integration calls as its role (`Credentials`), so the services judge it by that role's policies.
    const clientsAsRole = new Map<string, AwsServiceClients>();
    const clientsAs = (roleArn: string): AwsServiceClients => {
      let clients = clientsAsRole.get(roleArn);
      if (!clients) clientsAsRole.set(roleArn, (clients = clientsOf(credentialsOf(roleArn))));
      return clients;
    };
    cleanups.push(() => clientsAsRole.forEach(destroy));
    const checkpoints = new CheckpointStore(persist && join(persist, 'stream-checkpoints.json'));
    cleanups.push(() => checkpoints.flush());

    const findFunction = (id: string): FunctionRuntime => {
      const key = functionKey(id);
      const byConstructId = () => current?.functionsByKey.get(findResource(current.resources, id, undefined)?.logicalId ?? '');
      const runtime = current?.functionsByKey.get(key) ?? byConstructId();
      if (!runtime) throw new Error(`Function not found: ${id}`);
      return runtime;
    };
    const invoke = (id: string, event: unknown, onStream?: (reply: StreamReply) => void): Promise<InvokeOutcome> =>
      findFunction(id).invoke(event, onStream);
    invokeDeployed = invoke;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    const onProvisioned = (resources: readonly LocalResource[]) => {
      tables = tablesOf(resources);
      iam.setCallers(callersOf(resources, rolesOf(resources), accessKeyIdOf));
      iam.setResourcePolicies(resourcePoliciesOf(resources));
      iam.setMappingActions(mappingActionsOf(resources));
    };
    const serviceMay = iam.serviceMay.bind(iam);
    const context: DeployContext = {
      apiBaseUrl: url,
      services,
      streams,
      endpoints,
      options,
      checkpoints,
      log,
      functionLog,
      invoke,
      onProvisioned,
      serviceMay,
    };

    current = await deploy(readAssembly(synth.outDir), context, undefined);
    cloudformation.setStacks(current.stacks);
    cleanups.push(() => undeploy(current));
    const gateway = new LocalApiGateway({
      model: current.apiModel,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      invokeFunction: invoke,
      callAwsService: (request) => callAwsService(request.credentials ? clientsAs(request.credentials) : services, request),
      mayInvoke: (functionArn, sourceArn, credentials) =>
        credentials
          ? iam.roleMay(credentials, 'lambda:InvokeFunction', functionKey(functionArn))
          : serviceMay('apigateway.amazonaws.com', 'lambda:InvokeFunction', functionKey(functionArn), sourceArn),
      defaultApiId: current.defaultApiId,
      log: (line) => log('api-gateway', line),
      onMethodServed: ({ apiName, stage, method, resource, status, latencyMs }) => {
        const dimensions = [
          { Name: 'ApiName', Value: apiName },
          { Name: 'Method', Value: method },
          { Name: 'Resource', Value: resource },
          { Name: 'Stage', Value: stage },
        ];
        metrics.record('AWS/ApiGateway', 'Count', dimensions, 1);
        metrics.record('AWS/ApiGateway', '4XXError', dimensions, status >= 400 && status < 500 ? 1 : 0);
        metrics.record('AWS/ApiGateway', '5XXError', dimensions, status >= 500 ? 1 : 0);
        metrics.record('AWS/ApiGateway', 'Latency', dimensions, latencyMs);
      },
    });
    const server = createServer({ keepAliveTimeout: 5000 }, gateway.listener);
    apiPortHeld = false;
    await apiPort.release();
    await listen(server, port, host);
    cleanups.push(() => closeServer(server));

    const provisionMs = performance.now() - provisionStarted;
    if (persist) {
      mkdirSync(persist, { recursive: true });
      writeFileSync(join(persist, 'endpoints.json'), JSON.stringify({ url, ...endpoints }, null, 2));
    }
    let stopping: Promise<void> | undefined;
    let reloading = Promise.resolve() as Promise<unknown>;
    const reload = async (): Promise<ReloadSummary> => {
      const reloadStarted = performance.now();
      const result = await synthesize(synthOptions);
      const before = new Map([...current!.functions].map(([name, runtime]) => [name, runtime.config]));
      current = await deploy(readAssembly(result.outDir), context, current);
      cloudformation.setStacks(current.stacks);
      gateway.setModel(current.apiModel, current.defaultApiId);
      const after = current.functions;
      return {
        synthCached: result.cached,
        durationMs: performance.now() - reloadStarted,
        functionsAdded: [...after.keys()].filter((name) => !before.has(name)),
        functionsRemoved: [...before.keys()].filter((name) => !after.has(name)),
        functionsChanged: [...after.keys()].filter(
          (name) => before.has(name) && JSON.stringify(before.get(name)) !== JSON.stringify(after.get(name)!.config),
        ),
      };
    };
    return {
      url,
      port,
      region,
      endpoints,
      environment: endpointEnvironment(endpoints, region),
      get resources() {
        return current!.resources;
      },
      get notEmulated() {
        return current!.notEmulated;
      },
      get functions() {
        return current!.functions;
      },
      get pollers() {
        return current!.pollers;
      },
      iam: iam.mode,
      unusedGrants: () => iam.unusedGrants(),
      get scheduler() {
        return current!.scheduler;
      },
      get eventBuses() {
        return current!.eventBuses;
      },
      get defaultApiId() {
        return current!.defaultApiId;
      },
      get apiModel() {
        return current!.apiModel;
      },
      gateway,
      timings: { synthMs: synth.durationMs, synthCached: synth.cached, servicesMs, provisionMs, totalMs: performance.now() - started },
      outputs(stackName) {
        const stack = current!.stacks.find((s) => s.stackName === stackName);
        if (!stack) throw new Error(`No stack ${stackName}`);
        return Object.fromEntries(stack.outputs.map((o) => [o.key, o.value]));
      },
      credentialsFor(id, stackName) {
        const found = findResource(current!.resources, id, stackName);
        if (found?.type !== 'AWS::Lambda::Function' && found?.type !== 'AWS::IAM::Role') throw new Error(`No function or role ${id}`);
        return credentialsOf(String(found.attributes.Arn));
      },
      resource(logicalId, stackName) {
        const found = findResource(current!.resources, logicalId, stackName);
        if (!found) throw new Error(`No resource ${logicalId}${stackName ? ` in ${stackName}` : ''}`);
        return found;
      },
      invoke,
      reload: () => {
        const next = reloading.then(reload);
        reloading = next.catch(() => undefined);
        return next;
      },
      setServiceDown: (_service, down) => snsProxy.setDown(down),
      dynamodbRequests: dynamodbProxy?.requests ?? new Map(),
      stop: () => (stopping ??= reloading.then(stopAll)),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} is in use: set PORT to another one`) : error),
    );
    server.listen(port, host, () => resolvePromise());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeAllConnections();
  });
}
