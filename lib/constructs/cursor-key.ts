import { RemovalPolicy } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance.ts';
import type { EightfoldFunction } from './eightfold-function.ts';
import { grantSecretValue } from './grants.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

/**
 * The key that signs the API's pagination cursors (kernel/cursor.ts `CursorSeal`), so that a client can
 * neither forge a start key nor carry a cursor to another list. A generated secret: read once a cold start
 * by the functions that page, and by nothing else.
 */
export class CursorKey extends Construct {
  private readonly secret: Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'Eightfold: the HMAC key of the API’s pagination cursors',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // A new key only turns the cursors out there into 400 BAD_CURSOR: their lists restart.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.secret, {
      'AwsSolutions-SMG4':
        'Rotating the key turns every cursor out there into 400 BAD_CURSOR (their lists restart): set a rotation schedule where that is wanted.',
    });
  }

  /** A function that issues and reads cursors. */
  grantUse(fn: EightfoldFunction): void {
    grantSecretValue(fn, this.secret);
    fn.addEnvironment(ENV.api.cursorKeySecret, this.secret.secretArn);
  }
}
