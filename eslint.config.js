// @ts-check
/**
 * One lint for the whole project: typescript-eslint's recommended rules (syntax only: no type
 * information, so it runs in seconds beside the type check), Prettier's formatting left to Prettier, and
 * the layers of lambdas/ held to one direction. A layer may import the layers below it, never above:
 *
 *   handlers/ · stand-ins/          adapters: an event in, a use case called, an answer out
 *   composition/                    the deployed instances, built once per bundle from the environment
 *   platform/                       Lambda plumbing: logger, tracer, clients, HTTP errors, metric names
 *   use-cases/                      what the service does, with its stores, provider and clock passed in
 *   domain/                         orders: decider, events, projections (no AWS, no HTTP)
 *   patterns/                       the eight cores, generic (no orders, no HTTP)
 *   kernel/                         brands, cursors, DynamoDB error names
 *
 * Product code never imports the stand-ins (legacy, the payment provider): they live beside it.
 */
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** An import of any of these folders, by a relative path or from elsewhere in the tree. */
const folders = (...names) => `(^|/)(${names.join('|')})/`;
const AWS_AND_HTTP = ['@aws-sdk/*', 'aws-lambda', '@middy/*', '@aws-lambda-powertools/*'];

/** The import rule of one layer: which folders and packages it may not reach for, and why. */
const layer = (files, forbiddenFolders, why, packages = []) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [{ regex: folders(...forbiddenFolders), message: why }, ...(packages.length ? [{ group: packages, message: why }] : [])],
      },
    ],
  },
});

const ABOVE_PATTERNS = ['domain', 'use-cases', 'platform', 'composition', 'handlers', 'stand-ins'];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '**/cdk.out*/', 'bench/results/', '.cache/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Emulated AWS wire formats are read as loose JSON on purpose (the local cloud).
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  layer(['lambdas/kernel/**'], ['patterns', ...ABOVE_PATTERNS], 'kernel/ is the ground floor: it imports nothing of the project.'),
  layer(['lambdas/patterns/**'], ABOVE_PATTERNS, 'A pattern is generic: it may import kernel/ and other patterns only.', [
    'aws-lambda',
    '@middy/*',
  ]),
  layer(
    ['lambdas/domain/**'],
    ['use-cases', 'platform', 'composition', 'handlers', 'stand-ins'],
    'The domain imports kernel/ and pattern types only: no AWS, no HTTP.',
    AWS_AND_HTTP,
  ),
  layer(
    ['lambdas/use-cases/**'],
    ['platform', 'composition', 'handlers', 'stand-ins'],
    'A use case takes its stores, provider and clock as arguments: no AWS clients, no Lambda plumbing.',
    AWS_AND_HTTP,
  ),
  layer(
    ['lambdas/platform/**'],
    ['use-cases', 'composition', 'handlers', 'stand-ins'],
    'platform/ is Lambda plumbing: it knows no use case and no deployed instance.',
  ),
  layer(
    ['lambdas/composition/**'],
    ['handlers', 'stand-ins'],
    'composition/ builds what handlers use: it never imports a handler or a stand-in.',
  ),
  layer(['lambdas/handlers/**'], ['stand-ins'], 'Product code never imports the stand-ins.'),
  // The local cloud is a package (scripts/local-cloud/package.json): what its `exports` name is all the rest of
  // the project may use, by the package's name (Node then refuses any path the exports do not name).
  {
    files: ['bin/**', 'lib/**', 'test/**', 'bench/**', 'scripts/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(?<!@eightfold/)local-cloud/',
              message:
                'Import @eightfold/local-cloud (or @eightfold/local-cloud/command-line): its package exports are its whole public surface.',
            },
          ],
        },
      ],
    },
  },
);
