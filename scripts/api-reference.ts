/**
 * `npm run api-reference [-- --check]`: writes the API's reference, made from its OpenAPI description
 * (lambdas/handlers/api-description.ts), into docs/api.md between its generated markers, and the whole
 * description to docs/openapi.json. `--check` changes nothing and exits 1 when either is stale (the unit
 * suite runs it), so the reference never drifts from the code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '@eightfold/local-cloud/command-line';
import { apiDescription } from '../lambdas/handlers/api-description.ts';

const USAGE = `
Usage: npm run api-reference -- [--check]

Writes docs/api.md's reference section and docs/openapi.json from the API's description (GET /openapi.json).

  --check   write nothing; exit 1 if either file is not what the description makes
`;

const BEGIN = '<!-- api-reference: made by npm run api-reference from GET /openapi.json; edit lambdas/handlers/api-description.ts -->';
const END = '<!-- /api-reference -->';

type Description = ReturnType<typeof apiDescription>;

/** A schema in a few words: its type, and the fields of an object. */
function shape(schema: Record<string, any> | undefined): string {
  if (!schema) return '';
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return (schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ');
  if (schema.type === 'array') return `[${shape(schema.items)}]`;
  if (schema.type === 'object' && schema.properties) {
    const required = new Set<string>(schema.required ?? []);
    return `{ ${Object.keys(schema.properties)
      .map((key) => `${key}${required.has(key) ? '' : '?'}`)
      .join(', ')} }`;
  }
  return String(schema.type ?? (schema.anyOf ? 'one of several' : 'any'));
}

/** The reference section: one table per group of routes, each row an operation. */
export function referenceMarkdown(description: Description): string {
  const rows: string[] = [];
  for (const [path, methods] of Object.entries(description.paths)) {
    for (const [method, operation] of Object.entries(methods as Record<string, any>)) {
      const params = (operation.parameters ?? []).map(
        (p: any) => `${p.in === 'header' ? 'header ' : p.in === 'query' ? '?' : ''}${p.name}`,
      );
      const body = operation.requestBody?.content['application/json']?.schema;
      const answers = Object.entries(operation.responses as Record<string, any>)
        .filter(([status]) => status !== 'default')
        .map(([status, answer]) =>
          `${status} ${shape(answer.content?.['application/json']?.schema) || Object.keys(answer.content ?? {})[0] || ''}`.trim(),
        );
      rows.push(
        `| ${method.toUpperCase()} | \`${path}\` | ${operation['x-callers']} | ${operation.summary.replaceAll('|', '\\|')} | ${[
          ...params,
          ...(body ? [`body ${shape(body)}`] : []),
        ].join('; ')} | ${answers.join('; ')} |`,
      );
    }
  }
  return [
    BEGIN,
    '',
    `OpenAPI ${description.openapi}, version ${description.info.version}: \`GET /openapi.json\` serves it, [openapi.json](openapi.json) holds a copy. Every operation also answers errors as \`{ "error": { "code", "message", … } }\`.`,
    '',
    '| method | path | callers | what | takes | answers |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    END,
  ].join('\n');
}

/** docs/api.md with its reference section made anew. */
export function withReference(markdown: string, description: Description): string {
  const start = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/api.md has no ${BEGIN} … ${END} section`);
  return `${markdown.slice(0, start)}${referenceMarkdown(description)}${markdown.slice(end + END.length)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseCommandLine(USAGE, { check: { type: 'boolean', default: false } });
  const description = apiDescription(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  const files = [
    [new URL('../docs/api.md', import.meta.url), (current: string) => withReference(current, description)],
    [new URL('../docs/openapi.json', import.meta.url), () => `${JSON.stringify(description, null, 2)}\n`],
  ] as const;
  let stale = 0;
  for (const [file, make] of files) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // A missing copy is a stale one.
    }
    const wanted = make(current);
    if (wanted === current) continue;
    stale++;
    if (values.check) process.stderr.write(`${fileURLToPath(file)} is stale: run npm run api-reference\n`);
    else writeFileSync(file, wanted);
  }
  process.exitCode = values.check && stale > 0 ? 1 : 0;
}
