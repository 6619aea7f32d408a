/**
 * API Gateway's mapping templates (Velocity, rendered by npm `velocityjs`) with the variables API Gateway
 * gives them: `$input`, `$util`, `$context` (with `responseOverride` in response templates) and
 * `$stageVariables` (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html).
 */
import { render } from 'velocityjs';
import { atJsonPath } from '../json-path.ts';
import { lowerCaseLookup } from './model.ts';

/** What a method request carries, for `$input.params()`. */
export interface MethodRequestParams {
  readonly path: Record<string, string>;
  readonly querystring: Record<string, string>;
  readonly header: Record<string, string>;
}

export interface TemplateInput {
  /** The payload: the method request's body in a request template, the integration's answer in a response template. */
  readonly body: string;
  readonly params: MethodRequestParams;
  readonly context: Record<string, unknown>;
  readonly stageVariables: Record<string, string>;
}

/** What a response template set through `$context.responseOverride`. */
export interface ResponseOverride {
  status?: number;
  header: Record<string, string>;
}

/** The payload as JSON where it is JSON, else as its text (`$input.path('$')` of a non-JSON body). */
function parsed(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** `$util.escapeJavaScript`: a string's JavaScript escapes, single quotes included. */
function escapeJavaScript(text: unknown): string {
  return JSON.stringify(String(text)).slice(1, -1).replaceAll("'", "\\'");
}

const util = {
  escapeJavaScript,
  parseJson: (text: string) => JSON.parse(text) as unknown,
  urlEncode: (text: string) => encodeURIComponent(String(text)),
  urlDecode: (text: string) => decodeURIComponent(String(text)),
  base64Encode: (text: string) => Buffer.from(String(text)).toString('base64'),
  base64Decode: (text: string) => Buffer.from(String(text), 'base64').toString(),
};

/** Renders `template`; the response override it set, if any, is in `override`. */
export function renderMappingTemplate(template: string, input: TemplateInput): { output: string; override: ResponseOverride } {
  const value = parsed(input.body);
  const override: ResponseOverride = { header: {} };
  const $input = {
    body: input.body,
    json: (path: string) => JSON.stringify(atJsonPath(value, path) ?? null),
    // Nothing there reads as an empty string, so `#if($input.path('$.Item') == "")` and `#if(!…)` both test for it.
    path: (path: string) => atJsonPath(value, path) ?? '',
    params: (name?: string) =>
      name === undefined
        ? input.params
        : (input.params.path[name] ?? input.params.querystring[name] ?? lowerCaseLookup(input.params.header, name) ?? ''),
  };
  const output = render(template, {
    input: $input,
    util,
    context: { ...input.context, responseOverride: override },
    stageVariables: input.stageVariables,
  });
  return { output, override };
}
