import * as z from 'zod';

/** One setting: the variable it is read from (named in platform/environment.ts) and what its value must be. */
export type Setting<Value> = readonly [variable: string, schema: z.ZodType<Value>];
/** The settings `fields` read into: what a factory built from them takes. */
export type SettingsOf<Fields extends Record<string, Setting<unknown>>> = { readonly [Key in keyof Fields]: z.output<Fields[Key][1]> };

/**
 * A function's settings, read from its environment once, at cold start, into one typed object: the one
 * place its composition root reads the environment. A missing or malformed variable is a deployment bug,
 * which fails the cold start naming every such variable.
 */
export function readSettings<Fields extends Record<string, Setting<unknown>>>(fields: Fields, env = process.env): SettingsOf<Fields> {
  const settings: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, [variable, schema]] of Object.entries(fields)) {
    const parsed = schema.safeParse(env[variable]);
    if (parsed.success) settings[key] = parsed.data;
    else problems.push(`${variable} (${parsed.error.issues.map((issue) => issue.message).join('; ')})`);
  }
  if (problems.length > 0) throw new Error(`Environment variables missing or malformed: ${problems.join(', ')}`);
  return settings as SettingsOf<Fields>;
}

/** A required text value. */
export const text = z.string().min(1);
/** A whole number of milliseconds (or of anything), given as text. */
export const whole = z.coerce.number().int().min(0);
/** JSON text, parsed and checked by `schema`. */
export const json = <Schema extends z.ZodType>(schema: Schema) =>
  text
    .transform((value, context) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        context.issues.push({ code: 'custom', message: 'not JSON', input: value });
        return z.NEVER;
      }
    })
    .pipe(schema);
/** A comma-separated list, empty when unset. */
export const list = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').filter(Boolean));
