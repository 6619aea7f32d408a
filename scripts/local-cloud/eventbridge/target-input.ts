/**
 * What an EventBridge rule hands each target: the event, or what the target's `Input`, `InputPath` or
 * `InputTransformer` makes of it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
 */

import { atJsonPath } from '../json-path.ts';

/** An event as EventBridge delivers it. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

export interface TargetInputConfig {
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

/**
 * Fills an input template: a placeholder inside a JSON string takes the value's text unescaped (as
 * EventBridge does), one outside takes the value as JSON; a path the event lacks leaves nothing in a
 * string and `null` outside one. A result that is JSON is minified.
 */
function fillTemplate(template: string, values: Record<string, unknown>): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    if (char === '\\' && inString) {
      out += char + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') inString = !inString;
    const placeholder = char === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (placeholder && placeholder[1]! in values) {
      const value = values[placeholder[1]!];
      if (inString) out += value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
      else out += value === undefined ? 'null' : JSON.stringify(value);
      i += placeholder[0].length - 1;
      continue;
    }
    out += char;
  }
  try {
    return JSON.stringify(JSON.parse(out));
  } catch {
    return out;
  }
}

/** The text a target receives for `event`, received at `ingestedAt`, matched by the rule `rule` (its name and ARN). */
export function targetInput(
  target: TargetInputConfig,
  event: BusEvent,
  rule: { name: string; arn: string },
  ingestedAt = event.time,
): string {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) return JSON.stringify(atJsonPath(event, target.InputPath) ?? null);
  if (target.InputTransformer) {
    const { InputPathsMap = {}, InputTemplate } = target.InputTransformer;
    const { detail: _detail, ...withoutDetail } = event;
    const values: Record<string, unknown> = {
      'aws.events.rule-arn': rule.arn,
      'aws.events.rule-name': rule.name,
      'aws.events.event.ingestion-time': ingestedAt,
      'aws.events.event': withoutDetail,
      'aws.events.event.json': event,
    };
    for (const [name, path] of Object.entries(InputPathsMap)) values[name] = atJsonPath(event, path);
    return fillTemplate(InputTemplate, values);
  }
  return JSON.stringify(event);
}
