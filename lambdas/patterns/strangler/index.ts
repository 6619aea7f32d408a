export {
  parseRouteKey,
  ROUTE_KEY,
  ROUTE_MODES,
  routeSchema,
  routingTableSchema,
  servedByEightfold,
  stickyKeyOf,
  type Route,
  type RouteMode,
  type RoutingTable,
  type StickyRequest,
} from './routing.ts';
export { compareAnswers, MAX_DIFFERENCES, type ComparedAnswer, type Difference } from './shadow-compare.ts';
export { ShadowLog, type ShadowOutcome, type ShadowReport, type ShadowSample, type ShadowTotals } from './shadow-log.ts';
