import { EightfoldError } from '../../kernel/errors.ts';

/** Something an operator named that this deployment does not have: a breaker, a fault target, a route outside production. */
export class NotDeployedError extends EightfoldError<'NOT_FOUND' | 'BREAKER_NOT_FOUND' | 'FAULT_TARGET_NOT_FOUND', { name: string }> {
  override readonly name = 'NotDeployedError';
  readonly code: 'NOT_FOUND' | 'BREAKER_NOT_FOUND' | 'FAULT_TARGET_NOT_FOUND';

  constructor(code: NotDeployedError['code'], name: string, message: string) {
    super(message, { name });
    this.code = code;
  }
}

/** A step-down with no leader to step down. */
export class NoLeaderError extends EightfoldError<'NO_LEADER', { lease: string }> {
  override readonly name = 'NoLeaderError';
  readonly code = 'NO_LEADER';

  constructor(lease: string) {
    super('No contender holds the lease now; nothing to step down', { lease });
  }
}

/** Production deploys no such route; should a request reach one anyway, it is refused as absent. */
export function outsideProductionOnly(stage: string, feature: string): void {
  if (stage === 'prod') throw new NotDeployedError('NOT_FOUND', feature, `${feature} does not exist in production`);
}
