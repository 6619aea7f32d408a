/**
 * What a function's code can import besides its own files: Lambda's Node.js runtimes (nodejs18.x and later)
 * put the AWS SDK for JavaScript v3 on the module path, behind the function's own `node_modules`. Nothing
 * else is there, so a package the bundle left out fails on Lambda, and fails here the same way, however
 * many `node_modules` sit above the cloud assembly.
 *
 * The runtime ships every client; the local cloud provides these, pinned in its package.json at one
 * version (docs/local-cloud.md says which). An `@aws-sdk/*` package outside the set fails with a message
 * that says so, rather than being found by accident.
 */
import { createRequire, isBuiltin, registerHooks } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

export const RUNTIME_SDK_PACKAGES = [
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-cognito-identity-provider',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-dynamodb-streams',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-sts',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/util-dynamodb',
] as const;

const provided = new Set<string>(RUNTIME_SDK_PACKAGES);

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const isBare = (specifier: string) =>
  !isBuiltin(specifier) && !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(specifier) && !specifier.startsWith('#');

/** Node's own error for a missing module, with the code `require` or `import` gives (code that tries optional packages checks it). */
function notFound(specifier: string, parentURL: string, conditions: readonly string[], why: string): Error {
  return Object.assign(new Error(`Cannot find module '${specifier}' imported from ${fileURLToPath(parentURL)}: ${why}`), {
    code: conditions.includes('require') ? 'MODULE_NOT_FOUND' : 'ERR_MODULE_NOT_FOUND',
  });
}

function whyNotFound(name: string): string {
  if (name.startsWith('@aws-sdk/'))
    return `Lambda's runtime has it, but the local cloud provides only ${RUNTIME_SDK_PACKAGES.join(', ')}: bundle it with the function`;
  if (name === 'aws-sdk')
    return 'the AWS SDK v2 (which runtimes before nodejs18.x include) is not provided locally: bundle it with the function';
  return "Lambda finds packages only in the function's code and its runtime's AWS SDK: bundle it with the function";
}

const packageTypes = new Map<string, 'module' | 'commonjs'>();

/** The module format of `.js` files in `dir`, from the nearest package.json at or below `root`. */
function packageTypeWithin(root: string, dir: string): 'module' | 'commonjs' {
  let type = packageTypes.get(dir);
  if (type) return type;
  const manifest = join(dir, 'package.json');
  if (existsSync(manifest))
    type = (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module' ? 'module' : 'commonjs';
  else type = dir + sep === root || !(dirname(dir) + sep).startsWith(root) ? 'commonjs' : packageTypeWithin(root, dirname(dir));
  packageTypes.set(dir, type);
  return type;
}

/**
 * A file's module format in a function's code, as Lambda's runtime sees it: `.mjs` and `.cjs` by their
 * extension, `.js` by the nearest package.json inside the code, else CommonJS (its /var/task has nothing above).
 */
export function moduleFormatInCode(codeDir: string, file: string): 'module' | 'commonjs' {
  if (file.endsWith('.mjs')) return 'module';
  if (file.endsWith('.cjs')) return 'commonjs';
  return packageTypeWithin(realpathSync(codeDir) + sep, dirname(realpathSync(file)));
}

/**
 * Loads, in this thread (a sandbox's worker), the code under `codeDir` as Lambda does: its bare imports
 * resolve from `codeDir` itself (its `node_modules`), else from the runtime's SDK, else not at all; and its
 * `.js` files are CommonJS unless a package.json inside `codeDir` says otherwise.
 */
export function resolveAsLambdaRuntime(codeDir: string): void {
  // Resolved modules have their real paths.
  const root = realpathSync(codeDir) + sep;
  // The SDK packages resolve from this package's own dependencies, as `require` or as `import` asked.
  const requireHere = createRequire(import.meta.url);
  const fromRuntime = (specifier: string, conditions: readonly string[]) =>
    conditions.includes('require') ? pathToFileURL(requireHere.resolve(specifier)).href : import.meta.resolve(specifier);
  registerHooks({
    // A `.js` file's module format comes from the code alone (`moduleFormatInCode`): the package.json of whatever
    // project holds cdk.out must not count. (Node then loads such a CommonJS file through require(), not import.)
    load(url, context, nextLoad) {
      if (!url.startsWith('file:') || !url.endsWith('.js')) return nextLoad(url, context);
      const file = fileURLToPath(url);
      return file.startsWith(root) ? nextLoad(url, { ...context, format: packageTypeWithin(root, dirname(file)) }) : nextLoad(url, context);
    },
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (!parent?.startsWith('file:') || !isBare(specifier) || !fileURLToPath(parent).startsWith(root)) {
        return nextResolve(specifier, context);
      }
      let own: ReturnType<typeof nextResolve> | undefined;
      try {
        own = nextResolve(specifier, context);
      } catch {
        // Not in the function's code: the runtime's SDK may have it.
      }
      if (own?.url.startsWith('file:') && fileURLToPath(own.url).startsWith(root)) return own;
      const name = packageOf(specifier);
      if (provided.has(name)) return { url: fromRuntime(specifier, context.conditions), shortCircuit: true };
      throw notFound(specifier, parent, context.conditions, whyNotFound(name));
    },
  });
}
