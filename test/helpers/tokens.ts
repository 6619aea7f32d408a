import type { LocalCloud } from '@eightfold/local-cloud';
import { localToken } from '../../scripts/token.ts';
import { stackNames } from '../../lib/stack-names.ts';

export type TokenFor = { readonly customer: string } | { readonly operator: string };

/** A bearer token from a local cloud's issuer, as `npm run token` gets one. */
export function mintToken(cloud: LocalCloud, caller: TokenFor): Promise<string> {
  const issuer = cloud.outputs(stackNames('dev').eightfold).IssuerUrl!;
  return 'customer' in caller ? localToken(issuer, caller.customer, false, 1) : localToken(issuer, caller.operator, true, 1);
}
