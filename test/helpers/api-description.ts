/**
 * Every answer an e2e file receives from Eightfold's API is checked against the API's own description
 * (`GET /openapi.json`, made from the handlers' zod schemas): its status must be one the operation
 * declares (a success) or an error in the contract's shape, and its JSON body must fit the schema. An
 * answer that does not fails the request, naming what did not fit. Paths the description leaves out are
 * legacy's (the façade passes them through), and are not checked.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface Described {
  readonly operations: { method: string; pattern: RegExp; template: string; operation: Record<string, any> }[];
  readonly validators: Map<string, ValidateFunction>;
  readonly document: Record<string, any>;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const bases = new Map<string, Promise<Described>>();
/** Answers checked, and answers on paths the description leaves to legacy. */
export const answerStats = { checked: 0, notDescribed: 0 };
const originalFetch = globalThis.fetch;

async function describe(base: string): Promise<Described> {
  const response = await originalFetch(`${base}/openapi.json`);
  if (response.status !== 200) throw new Error(`GET ${base}/openapi.json answered ${response.status}`);
  const document = (await response.json()) as Record<string, any>;
  ajv.addSchema(document.components.schemas.Error, `${base}#Error`);
  const operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
      operation,
    })),
  );
  return { operations, validators: new Map(), document };
}

function validatorFor(
  described: Described,
  base: string,
  key: string,
  schema: Record<string, any> | undefined,
): ValidateFunction | undefined {
  if (!schema) return undefined;
  let validate = described.validators.get(key);
  if (!validate) {
    const resolved = schema.$ref === '#/components/schemas/Error' ? { $ref: `${base}#Error` } : schema;
    described.validators.set(key, (validate = ajv.compile(resolved)));
  }
  return validate;
}

async function check(base: string, method: string, url: URL, response: Response): Promise<void> {
  const described = await bases.get(base)!;
  const path = url.pathname.slice(new URL(base).pathname.replace(/\/$/, '').length) || '/';
  const found = described.operations.find((op) => op.method === method && op.pattern.test(path));
  if (!found) {
    answerStats.notDescribed++;
    return;
  }
  const status = String(response.status);
  const declared = found.operation.responses[status] ?? (response.status >= 400 ? found.operation.responses.default : undefined);
  const where = `${method} ${path} (${found.template}) answered ${status}`;
  if (!declared) throw new Error(`${where}, a status its API description does not declare`);
  const [contentType, media] = Object.entries(declared.content ?? {})[0] ?? [];
  answerStats.checked++;
  if (contentType !== 'application/json') return;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${where} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const validate = validatorFor(
    described,
    base,
    `${found.template} ${method} ${status}`,
    (media as { schema?: Record<string, any> }).schema,
  );
  if (validate && !validate(body)) {
    throw new Error(`${where} with a body its API description does not allow: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`);
  }
}

/**
 * Checks every answer from the API at `base` from now on (its description read on the first). Call it
 * once the API is up; test/setup/api-answers.ts then fails the file unless at least one answer was checked.
 */
export function checkAnswers(base: string): void {
  const root = base.replace(/\/+$/, '');
  if (!bases.has(root)) bases.set(root, describe(root));
  if (globalThis.fetch !== originalFetch) return;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await originalFetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const base = [...bases.keys()].find((b) => url.href === b || url.href.startsWith(`${b}/`) || url.href.startsWith(`${b}?`));
    if (base && response.headers.has('x-served-by')) {
      await check(base, (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase(), url, response.clone());
    }
    return response;
  };
}

/** How many APIs this file checks answers of. */
export const checkedApis = (): number => bases.size;
