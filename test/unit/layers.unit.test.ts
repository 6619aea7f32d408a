/**
 * The lint's layer rule (eslint.config.js), proved on code written for the test: each layer of lambdas/
 * may import the layers below it and is refused the ones above, and product code never reaches a stand-in.
 */
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../helpers/paths.ts';

const eslint = new ESLint({ cwd: PROJECT_DIR });

/** The import rule's verdicts on one line of code placed at `file`. */
async function restrictedImports(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath: join(PROJECT_DIR, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layers of lambdas/', () => {
  it.each([
    ['lambdas/kernel/x.ts', "import '../patterns/sharding/index.ts';"],
    ['lambdas/patterns/cqrs/x.ts', "import '../../domain/orders/index.ts';"],
    ['lambdas/patterns/cqrs/x.ts', "import type { APIGatewayProxyEvent } from 'aws-lambda';"],
    ['lambdas/domain/orders/x.ts', "import '../../use-cases/payments.ts';"],
    ['lambdas/domain/orders/x.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';"],
    ['lambdas/use-cases/x.ts', "import '../platform/logger.ts';"],
    ['lambdas/use-cases/x.ts', "import '../composition/event-store.ts';"],
    ['lambdas/platform/x.ts', "import '../composition/outbound.ts';"],
    ['lambdas/composition/x.ts', "import '../handlers/commands.ts';"],
    ['lambdas/handlers/x.ts', "import '../stand-ins/charge-book.ts';"],
  ])('refuses %s importing upwards: %s', async (file, code) => {
    expect(await restrictedImports(file, code)).toHaveLength(1);
  });

  it.each([
    ['lambdas/patterns/cqrs/x.ts', "import '../../kernel/brand.ts'; import '../sharding/index.ts';"],
    ['lambdas/domain/orders/x.ts', "import type { EventEnvelope } from '../../patterns/event-sourcing/index.ts';"],
    ['lambdas/use-cases/x.ts', "import '../domain/orders/index.ts'; import '../patterns/event-sourcing/index.ts';"],
    ['lambdas/composition/x.ts', "import '../use-cases/payments.ts'; import '../platform/clients.ts';"],
    ['lambdas/handlers/x.ts', "import '../composition/event-store.ts'; import '../use-cases/payments.ts';"],
    ['lambdas/stand-ins/x.ts', "import '../platform/http.ts'; import '../use-cases/legacy-contract.ts';"],
  ])('lets %s import downwards: %s', async (file, code) => {
    expect(await restrictedImports(file, code)).toEqual([]);
  });
});
