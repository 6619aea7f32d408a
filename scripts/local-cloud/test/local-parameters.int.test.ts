import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  paginateGetParametersByPath,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../environment.ts';
import { LocalParameterStore, generateSecretString } from '../services/parameters.ts';

let store: LocalParameterStore;
let ssm: SSMClient;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  store = new LocalParameterStore('us-east-1', '000000000000');
  const endpoint = await store.start();
  ssm = new SSMClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  secrets = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  ssm?.destroy();
  secrets?.destroy();
  await store?.stop();
});

describe('the local SSM Parameter Store and Secrets Manager, through the AWS SDK', () => {
  it('serves parameters, versions each overwrite, and answers ParameterNotFound', async () => {
    store.putParameter('/eightfold/policy', '{"timeoutMs":1000}');
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: '/eightfold/policy' }));
    expect(Parameter).toMatchObject({ Name: '/eightfold/policy', Value: '{"timeoutMs":1000}', Version: 1, Type: 'String' });
    await expect(ssm.send(new PutParameterCommand({ Name: '/eightfold/policy', Value: 'x', Type: 'String' }))).rejects.toThrow(/Overwrite/);
    expect(
      await ssm.send(new PutParameterCommand({ Name: '/eightfold/policy', Value: '{"timeoutMs":2000}', Overwrite: true })),
    ).toMatchObject({ Version: 2 });
    expect((await ssm.send(new GetParameterCommand({ Name: '/eightfold/policy' }))).Parameter?.Value).toBe('{"timeoutMs":2000}');
    await expect(ssm.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  });

  it('lists the parameters under a path, one level or every level down, ten a page', async () => {
    for (let i = 0; i < 12; i++) store.putParameter(`/app/flags/f${String(i).padStart(2, '0')}`, String(i));
    store.putParameter('/app/flags/deep/g', 'deep');
    store.putParameter('/apps/other', 'not under /app');
    const names = async (Path: string, Recursive: boolean) => {
      const found: string[] = [];
      for await (const page of paginateGetParametersByPath({ client: ssm }, { Path, Recursive })) {
        expect(page.Parameters!.length).toBeLessThanOrEqual(10);
        found.push(...page.Parameters!.map((p) => p.Name!));
      }
      return found;
    };
    expect(await names('/app/flags', false)).toEqual(Array.from({ length: 12 }, (_, i) => `/app/flags/f${String(i).padStart(2, '0')}`));
    expect(await names('/app', true)).toEqual(['/app/flags/deep/g', ...(await names('/app/flags', false))]);
    expect(await names('/app', false)).toEqual([]);
    store.putParameter('CFN-generated', 'no hierarchy');
    expect(await names('/', false)).toContain('CFN-generated');
    await expect(ssm.send(new GetParametersByPathCommand({ Path: 'app' }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('serves secrets by name or ARN, takes new values, and answers ResourceNotFoundException', async () => {
    const arn = store.putSecret(
      'provider-token',
      generateSecretString({ SecretStringTemplate: '{"user":"eightfold"}', GenerateStringKey: 'token', ExcludePunctuation: true }),
    );
    const byName = await secrets.send(new GetSecretValueCommand({ SecretId: 'provider-token' }));
    const { user, token } = JSON.parse(byName.SecretString!) as { user: string; token: string };
    expect(user).toBe('eightfold');
    expect(token).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe(byName.SecretString);
    await secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'rotated' }));
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'provider-token' }))).SecretString).toBe('rotated');
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
