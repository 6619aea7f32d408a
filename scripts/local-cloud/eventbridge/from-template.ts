/** The event buses and rules a deployed template declares, as `EventBuses` plays them. */
import type { Pattern } from '../event-pattern.ts';
import { busName } from '../resources/catalog.ts';
import type { LocalResource } from '../types.ts';
import { EventBuses, type BusRule, type BusTarget, type EventBusesDeps } from './event-buses.ts';

export function eventBusesOf(resources: readonly LocalResource[], deps: EventBusesDeps): EventBuses {
  const buses = new Map([['default', `arn:aws:events:${deps.region}:${deps.accountId}:event-bus/default`]]);
  for (const r of resources.filter((x) => x.type === 'AWS::Events::EventBus')) buses.set(r.physicalId, String(r.attributes.Arn));
  const rules = resources
    .filter((r) => r.type === 'AWS::Events::Rule')
    .map((r): BusRule => {
      const p = r.properties;
      const pattern =
        typeof p.EventPattern === 'string' ? (JSON.parse(p.EventPattern) as Pattern) : (p.EventPattern as Pattern | undefined);
      return {
        name: r.physicalId,
        arn: String(r.attributes.Arn),
        eventBusName: busName(p.EventBusName),
        eventPattern: pattern,
        scheduleExpression: p.ScheduleExpression,
        // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled too.
        enabled: p.State !== 'DISABLED',
        description: p.Description,
        targets: (p.Targets ?? []) as BusTarget[],
      };
    });
  return new EventBuses(deps, buses, rules);
}
