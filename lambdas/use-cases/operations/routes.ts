import { parseRouteKey, type Route, type RoutingTable, type ShadowReport } from '../../patterns/strangler/index.ts';

export type ServedCounts = Map<string, { legacy: number; eightfold: number }>;

export interface RouteOpsDeps {
  readonly routingTable: RoutingTable;
  /** Requests each route served in the last `hours`, per side; undefined when the metrics cannot be read. */
  readonly servedCounts: (hours: number) => Promise<ServedCounts | undefined>;
  readonly shadowReport: (route: string) => Promise<ShadowReport | undefined>;
}

/** Who answers a route in its mode: shares per side, and whether Eightfold runs beside legacy. */
function servedBy(route: Route) {
  switch (route.mode) {
    case 'legacy':
      return { legacy: 100, eightfold: 0 };
    case 'eightfold':
      return { legacy: 0, eightfold: 100 };
    case 'shadow':
      return { legacy: 100, eightfold: 0, shadowedByEightfold: true };
    case 'weighted':
      return { legacy: 100 - route.percent!, eightfold: route.percent!, stickyPer: 'customer' };
  }
}

const NO_SHADOW_RUNS: ShadowReport = { compared: 0, matches: 0, mismatches: 0, errors: 0, recentMismatches: [] };

/** The strangler's routing table as deployed: each route's mode, who served it lately, and what shadow runs found. */
export async function showRoutes(deps: RouteOpsDeps, input: { hours: number }) {
  const entries = Object.entries(deps.routingTable);
  const [counts, reports] = await Promise.all([
    deps.servedCounts(input.hours),
    Promise.all(entries.filter(([, route]) => route.mode === 'shadow').map(async ([key]) => [key, await deps.shadowReport(key)] as const)),
  ]);
  const shadowReports = new Map(reports);
  const routes = entries.map(([key, route]) => ({
    route: key,
    ...parseRouteKey(key),
    mode: route.mode,
    since: route.since,
    ...(route.percent !== undefined ? { percent: route.percent } : {}),
    servedBy: servedBy(route),
    served: counts?.get(key) ?? null,
    ...(route.mode === 'shadow' ? { shadow: shadowReports.get(key) ?? NO_SHADOW_RUNS, ignored: route.ignore ?? [] } : {}),
  }));
  return { routes, servedInLastHours: input.hours, everythingElse: 'legacy', ownPaths: ['/ops', '/health', '/openapi.json', '/console'] };
}
