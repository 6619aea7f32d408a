export { isOutboundError, OutboundError, UnpinnedHostError } from './errors.ts';
export {
  Ambassador,
  type AmbassadorOptions,
  type AttemptRecord,
  type OutboundRequest,
  type OutboundResponse,
  type Transport,
} from './ambassador.ts';
export {
  outboundPolicySchema,
  PolicySource,
  targetPolicySchema,
  type OutboundPolicy,
  type PolicySourceOptions,
  type TargetPolicy,
} from './policy.ts';
export { RetryBudget } from './retry-budget.ts';
