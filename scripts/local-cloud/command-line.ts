/**
 * What every command of this repository does with its command line: `--help` prints the usage and exits 0;
 * an unknown flag, a missing value or a number out of bounds is one line on stderr, naming the flag, and
 * exit code 2 (never a stack trace). Exported for the project's own scripts, which follow the same rules.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** Says what was wrong with the command line in one line, and exits with 2. */
export function refuseCommandLine(message: string): never {
  process.stderr.write(`${message} (--help shows the usage)\n`);
  process.exit(2);
}

/** The command line parsed against `options`, strictly; `--help` prints `usage` and exits. */
export function parseCommandLine<const Options extends ParseArgsOptionsConfig>(
  usage: string,
  options: Options,
  args: string[] = process.argv.slice(2),
) {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    refuseCommandLine((error as Error).message);
  }
}

/** A number a flag gave, within bounds (whole unless `fraction`); undefined when the flag was not given. */
export function numberFlag(
  flag: string,
  raw: string | undefined,
  bounds: { readonly min: number; readonly max: number; readonly fraction?: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const kind = bounds.fraction ? 'a number' : 'a whole number';
  if (!Number.isFinite(value) || (!bounds.fraction && !Number.isInteger(value)) || value < bounds.min || value > bounds.max) {
    refuseCommandLine(`--${flag} must be ${kind} from ${bounds.min} to ${bounds.max}, not "${raw}"`);
  }
  return value;
}
