import type { IncomingMessage, ServerResponse } from 'node:http';
import { PutEventsValidationError, type BusRule, type EventBuses } from '../eventbridge/event-buses.ts';
import { LocalService, NOT_JSON, readJsonInput, replyJson } from './local-endpoint.ts';

class EventBridgeError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

/**
 * EventBridge's API (JSON 1.1, `AWSEvents.*`): `PutEvents` onto the deployed buses, and the read calls a
 * developer looks around with — `ListEventBuses`, `DescribeEventBus`, `ListRules`, `DescribeRule`,
 * `ListTargetsByRule`. Buses and rules come from the template; the API does not change them.
 */
export class LocalEventBridge extends LocalService {
  private readonly buses: () => EventBuses | undefined;

  constructor(buses: () => EventBuses | undefined) {
    super();
    this.buses = buses;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const input = await readJsonInput(req);
    if (!input) return replyJson(res, 400, NOT_JSON);
    const buses = this.buses();
    const action = target.startsWith('AWSEvents.') ? target.slice(10) : '';
    // PutEvents is judged on each entry's bus; the read calls on what they read.
    const denial = this.denied(req, () =>
      action === 'PutEvents'
        ? ((input.Entries ?? []) as { EventBusName?: string }[]).map((entry) => ({
            action: 'events:PutEvents',
            resource: buses?.buses.get(buses.resolveBus(entry.EventBusName) ?? '') ?? String(entry.EventBusName),
            context: {},
          }))
        : [{ action: `events:${action}`, resource: '*', context: {} }],
    );
    if (denial) return replyJson(res, 400, { __type: 'AccessDeniedException', message: denial.message });
    try {
      if (!buses) throw new EventBridgeError('ServiceUnavailableException', 'nothing is deployed yet');
      return replyJson(res, 200, this.call(buses, action, input));
    } catch (error) {
      if (error instanceof PutEventsValidationError) return replyJson(res, 400, { __type: error.name, message: error.message });
      if (error instanceof EventBridgeError) return replyJson(res, 400, { __type: error.type, message: error.message });
      throw error;
    }
  }

  private call(buses: EventBuses, action: string, input: Record<string, any>): unknown {
    switch (action) {
      case 'PutEvents':
        return buses.putEvents(input.Entries);
      case 'ListEventBuses':
        return {
          EventBuses: [...buses.buses]
            .filter(([name]) => name.startsWith(String(input.NamePrefix ?? '')))
            .map(([Name, Arn]) => ({ Name, Arn })),
        };
      case 'DescribeEventBus': {
        const name = this.bus(buses, input.Name);
        return { Name: name, Arn: buses.buses.get(name) };
      }
      case 'ListRules':
        return {
          Rules: buses
            .rulesOf(this.bus(buses, input.EventBusName))
            .filter((rule) => rule.name.startsWith(String(input.NamePrefix ?? '')))
            .map(describeRule),
        };
      case 'DescribeRule':
        return describeRule(this.rule(buses, input.Name, input.EventBusName));
      case 'ListTargetsByRule':
        return { Targets: this.rule(buses, input.Rule, input.EventBusName).targets };
      default:
        throw new EventBridgeError('UnknownOperationException', `AWSEvents.${action} is not emulated locally`);
    }
  }

  private bus(buses: EventBuses, nameOrArn: unknown): string {
    const name = buses.resolveBus(typeof nameOrArn === 'string' ? nameOrArn : undefined);
    if (!name) throw new EventBridgeError('ResourceNotFoundException', `Event bus ${String(nameOrArn)} does not exist.`);
    return name;
  }

  private rule(buses: EventBuses, name: unknown, busNameOrArn: unknown): BusRule {
    const rule = buses.rulesOf(this.bus(buses, busNameOrArn)).find((r) => r.name === name);
    if (!rule) throw new EventBridgeError('ResourceNotFoundException', `Rule ${String(name)} does not exist.`);
    return rule;
  }
}

function describeRule(rule: BusRule) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventBusName: rule.eventBusName,
    State: rule.enabled ? 'ENABLED' : 'DISABLED',
    ...(rule.eventPattern ? { EventPattern: JSON.stringify(rule.eventPattern) } : {}),
    ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
    ...(rule.description ? { Description: rule.description } : {}),
  };
}
