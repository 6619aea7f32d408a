/**
 * Runs a `.http` file (VS Code REST Client / httpyac format) as written: its `@name = value` variables,
 * `{{$processEnv NAME}}`, and a named request's answer (`# @name place`, then
 * `{{place.response.body.$.orderId}}`). Only what requests.http uses, so a test can prove the walk-through.
 */
import { readFileSync } from 'node:fs';

export interface FileRequest {
  readonly title: string;
  readonly name?: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** The requests of a `.http` file, in order, with its file variables (`@name = value`). */
export function parseRequestsFile(path: string): { variables: Record<string, string>; requests: FileRequest[] } {
  const [preamble = '', ...blocks] = readFileSync(path, 'utf8').split(/^###/m);
  const variables: Record<string, string> = {};
  for (const [, name, value] of preamble.matchAll(/^@(\w+)\s*=\s*(.*)$/gm)) variables[name!] = value!.trim();
  const requests = blocks.map((block) => {
    const [titleLine = '', ...lines] = block.split('\n');
    const name = /^#\s*@name\s+(\w+)/m.exec(block)?.[1];
    const content = lines.filter((line) => !line.startsWith('#'));
    const start = content.findIndex((line) => line.trim() !== '');
    const [method, url] = content[start]!.trim().split(/\s+/) as [string, string];
    const blank = content.findIndex((line, i) => i > start && line.trim() === '');
    const headerLines = content.slice(start + 1, blank < 0 ? undefined : blank);
    const body =
      blank < 0
        ? ''
        : content
            .slice(blank + 1)
            .join('\n')
            .trim();
    const headers = Object.fromEntries(
      headerLines.map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    return { title: titleLine.trim(), name, method, url, headers, ...(body ? { body } : {}) };
  });
  return { variables, requests };
}

/** `{{…}}` replaced: file variables (themselves resolved), process variables from `env`, named answers. */
export function resolve(
  text: string,
  variables: Record<string, string>,
  env: Record<string, string>,
  answers: Record<string, unknown>,
): string {
  return text.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    const processEnv = /^\$processEnv\s+(\w+)$/.exec(expression);
    if (processEnv) return env[processEnv[1]!] ?? '';
    const answer = /^(\w+)\.response\.body\.\$\.(.+)$/.exec(expression);
    if (answer) return String(answer[2]!.split('.').reduce<any>((at, key) => at?.[key], answers[answer[1]!]));
    if (expression in variables) return resolve(variables[expression]!, variables, env, answers);
    throw new Error(`Unknown variable {{${expression}}}`);
  });
}
