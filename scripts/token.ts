/**
 * `npm run token -- --customer <id> | --operator <name> [--stack NAME]`: prints a bearer token for a
 * customer or an operator of a deployment (`Eightfold-dev` by default), for `Authorization: Bearer <token>`.
 *
 * On the local cloud (`npm start`; its `export` lines point the AWS SDK at it) the stack's issuer is the
 * local cloud's own, which mints tokens on its loopback port. On AWS, a user missing from the stack's user
 * pool is made, with a password of the script's own (an operator joins the `operators` group), and signed
 * in with the admin flow; a user who exists signs in with their own (`--password`): the script never resets
 * one. It needs the caller's IAM rights on the pool, as an administrator has.
 */
import { randomBytes } from 'node:crypto';
import { numberFlag, parseCommandLine, refuseCommandLine } from '@eightfold/local-cloud/command-line';
import { stackOutputs } from './stack-outputs.ts';

const USAGE = `
Usage: npm run token -- --customer <id> | --operator <name> [--stack NAME] [--hours N] [--password P]

Prints a bearer token: TOKEN=$(npm run -s token -- --customer c1), then curl -H "Authorization: Bearer $TOKEN" …

  --customer ID    a customer: their own orders only
  --operator NAME  an operator: any order, shipping, and /ops (the console too)
  --stack NAME     the deployment (default Eightfold-dev)
  --hours N        how long a locally minted token lasts (1 to 24; default 1)
  --password P     on AWS, the password of a user who already exists in the pool
`;

/** A customer's id or an operator's name: what the API's ids are made of. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A token the local cloud's issuer mints (its loopback-only `local/token` endpoint). */
export async function localToken(issuer: string, user: string, operator: boolean, hours: number): Promise<string> {
  const response = await fetch(`${issuer}/local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: user, groups: operator ? ['operators'] : [], expiresInSeconds: hours * 3600 }),
  });
  if (!response.ok) throw new Error(`The local issuer refused: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** A Cognito user pool's access token for `user`, made (and put in the operators group) if need be. */
export async function cognitoToken(
  userPoolId: string,
  clientId: string,
  user: string,
  operator: boolean,
  ownPassword?: string,
): Promise<string> {
  const cognito = await import('@aws-sdk/client-cognito-identity-provider');
  const client = new cognito.CognitoIdentityProviderClient({});
  try {
    const created = await client
      .send(new cognito.AdminCreateUserCommand({ UserPoolId: userPoolId, Username: user, MessageAction: 'SUPPRESS' }))
      .then(
        () => true,
        (error: Error) => {
          if (error.name !== 'UsernameExistsException') throw error;
          return false;
        },
      );
    let password = ownPassword;
    if (created) {
      password = `${randomBytes(18).toString('base64url')}aA1!`;
      await client.send(
        new cognito.AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user, Password: password, Permanent: true }),
      );
    } else if (!password) {
      throw new Error(`${user} is already in the pool: sign in with their password (--password), which this script never resets`);
    }
    if (operator)
      await client.send(new cognito.AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user, GroupName: 'operators' }));
    const { AuthenticationResult } = await client.send(
      new cognito.AdminInitiateAuthCommand({
        UserPoolId: userPoolId,
        ClientId: clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: user, PASSWORD: password },
      }),
    );
    if (!AuthenticationResult?.AccessToken) throw new Error('Cognito answered without a token (a challenge the pool asks for?)');
    return AuthenticationResult.AccessToken;
  } finally {
    client.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseCommandLine(USAGE, {
    customer: { type: 'string' },
    operator: { type: 'string' },
    stack: { type: 'string', default: 'Eightfold-dev' },
    hours: { type: 'string' },
    password: { type: 'string' },
  });
  const user = values.customer ?? values.operator;
  if ((values.customer === undefined) === (values.operator === undefined))
    refuseCommandLine('Name one caller: --customer <id> or --operator <name>');
  if (!NAME.test(user!)) refuseCommandLine(`A caller's name is 1 to 64 letters, digits, "-" or "_", not "${user}"`);
  const hours = numberFlag('hours', values.hours, { min: 1, max: 24 }) ?? 1;
  try {
    const outputs = await stackOutputs(values.stack);
    const issuer = outputs.IssuerUrl;
    if (!issuer) throw new Error(`${values.stack} has no IssuerUrl output: is it deployed (or npm start running, its exports set)?`);
    const operator = values.operator !== undefined;
    const token = /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(issuer)
      ? await localToken(issuer, user!, operator, hours)
      : outputs.UserPoolId && outputs.UserPoolClientId
        ? await cognitoToken(outputs.UserPoolId, outputs.UserPoolClientId, user!, operator, values.password)
        : undefined;
    if (!token) throw new Error(`${values.stack} trusts ${issuer}, an issuer of the shop's own: get a token from it`);
    process.stdout.write(`${token}\n`);
  } catch (error) {
    process.stderr.write(`token: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
