import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { CfnUserPoolGroup, FeaturePlan, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance.ts';
import { EightfoldFunction } from './eightfold-function.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

export interface IdentityProps {
  /**
   * An existing OpenID Connect issuer whose RS256 tokens sign callers in (`-c issuer=<URL>`), instead of a
   * Cognito user pool of this stack's. @default a user pool
   */
  readonly issuer?: string;
  /** With `issuer`: the audience (`aud` or `client_id`) a token must be for. @default any */
  readonly audience?: string;
  /** The routes (`METHOD /path/{param}`, `*` for any method) only operators may call. */
  readonly operatorOnly: readonly string[];
  /** A production pool is kept when the stack goes. */
  readonly removalPolicy?: RemovalPolicy;
}

/** The group whose members are operators: ship, faults, every /ops action. */
export const OPERATOR_GROUP = 'operators';

/**
 * Who calls: customers and operators sign in with a Cognito user pool (or an issuer of the shop's own), and
 * one Lambda authorizer verifies their JWTs for every method that names it (jose, against the issuer's
 * keys) and answers the caller's policy for the whole stage, cached per token for 5 minutes. Locally, the
 * local cloud plays the pool as an OpenID Connect issuer and the authorizer as API Gateway does.
 */
export class Identity extends Construct {
  readonly authorizer: TokenAuthorizer;
  /** The issuer tokens must come from. */
  readonly issuer: string;
  readonly userPool?: UserPool;
  readonly client?: UserPoolClient;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    let audience = props.audience;
    if (props.issuer) {
      this.issuer = props.issuer;
    } else {
      const pool = (this.userPool = new UserPool(this, 'Users', {
        selfSignUpEnabled: false,
        signInAliases: { username: true, email: true },
        passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
        featurePlan: FeaturePlan.ESSENTIALS,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      }));
      // No secret: a browser or a CLI signs in with it. Admin sign-in for `npm run token` (the caller's IAM decides).
      this.client = pool.addClient('Client', { authFlows: { userSrp: true, adminUserPassword: true }, generateSecret: false });
      new CfnUserPoolGroup(this, 'Operators', {
        userPoolId: pool.userPoolId,
        groupName: OPERATOR_GROUP,
        description: 'Eightfold operators',
      });
      this.issuer = pool.userPoolProviderUrl;
      audience = this.client.userPoolClientId;
      acknowledge(pool, {
        'AwsSolutions-COG2': 'MFA is the shop’s sign-in choice (the pool’s MFA setting); the API only verifies the tokens it issues.',
        'AwsSolutions-COG3':
          'Threat protection (Cognito Plus) is priced per user; turn it on with the pool’s feature plan where the shop needs it.',
        'AwsSolutions-COG8': 'The Essentials plan: Plus adds threat protection at a price per user, the shop’s choice (see COG3).',
      });
    }
    const verifier = new EightfoldFunction(this, 'Authorizer', {
      handler: 'authorizer',
      serviceName: 'authorizer',
      memorySize: 256,
      environment: {
        [ENV.identity.issuer]: this.issuer,
        [ENV.identity.operatorGroup]: OPERATOR_GROUP,
        [ENV.identity.operatorRoutes]: JSON.stringify(props.operatorOnly),
        ...(audience ? { [ENV.identity.audience]: audience } : {}),
      },
    });
    this.authorizer = new TokenAuthorizer(this, 'TokenAuthorizer', {
      handler: verifier,
      resultsCacheTtl: Duration.minutes(5),
      validationRegex: '^Bearer [-0-9A-Za-z_=]+\\.[-0-9A-Za-z_=]+\\.[-0-9A-Za-z_=]+$',
    });
  }
}
