/**
 * What a DynamoDB request asks IAM for: its actions, each on a table or index ARN, with the partition key
 * values it touches as `dynamodb:LeadingKeys`
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html). A
 * transaction asks for each of its parts' actions; a batch for its own action on each table.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { AuthorizationRequest, IamAuthorizer } from './authorizer.ts';
import type { TableInfo } from './roles.ts';
import { jsonInputOf } from '../json-input.ts';

type AttributeValue = Record<string, unknown>;

/** An attribute value as a condition key sees it: the text of a string, number or binary. */
function keyText(value: AttributeValue | undefined): string | undefined {
  if (!value) return undefined;
  const [type, raw] = Object.entries(value)[0] ?? [];
  return type === 'S' || type === 'N' || type === 'B' ? String(raw) : undefined;
}

/** The partition key value a key condition expression fixes (`#pk = :pk`, `pk = :v`, either way round). */
function keyConditionValue(body: Record<string, any>, hashKey: string): string | undefined {
  const expression = String(body.KeyConditionExpression ?? '');
  const names: Record<string, string> = body.ExpressionAttributeNames ?? {};
  const values: Record<string, AttributeValue> = body.ExpressionAttributeValues ?? {};
  for (const [, left, right] of expression.matchAll(/([#:]?[\w.]+)\s*=\s*([#:]?[\w.]+)/g)) {
    const [name, value] = left!.startsWith(':') ? [right!, left!] : [left!, right!];
    if ((names[name] ?? name) === hashKey && value.startsWith(':')) return keyText(values[value]);
  }
  return undefined;
}

export function dynamoDbAuthorizations(
  target: string,
  body: Record<string, any>,
  tables: ReadonlyMap<string, TableInfo>,
): AuthorizationRequest[] {
  const operation = target.slice(target.indexOf('.') + 1);
  const tableArn = (name: string) => tables.get(name)?.arn ?? `arn:aws:dynamodb:::table/${name}`;
  const leading = (name: string, keys: (string | undefined)[]): Record<string, string[]> => {
    const values = keys.filter((k): k is string => k !== undefined);
    return tables.has(name) && values.length ? { 'dynamodb:LeadingKeys': [...new Set(values)] } : {};
  };
  const hashOf = (name: string, item: Record<string, AttributeValue> | undefined) => keyText(item?.[tables.get(name)?.hashKey ?? '']);
  const one = (action: string, name: string, keys: (string | undefined)[] = [], index?: string): AuthorizationRequest => ({
    action: `dynamodb:${action}`,
    resource: index ? `${tableArn(name)}/index/${index}` : tableArn(name),
    context: leading(name, keys),
  });

  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [one(operation, body.TableName, [hashOf(body.TableName, body.Key)])];
    case 'PutItem':
      return [one(operation, body.TableName, [hashOf(body.TableName, body.Item)])];
    case 'Query': {
      const hashKey = tables.get(body.TableName)?.hashKey ?? '';
      // On an index, the leading key is the index's; the base table's key names no partition of it.
      return [one('Query', body.TableName, body.IndexName ? [] : [keyConditionValue(body, hashKey)], body.IndexName)];
    }
    case 'Scan':
      return [one('Scan', body.TableName, [], body.IndexName)];
    case 'BatchGetItem':
      return Object.entries((body.RequestItems ?? {}) as Record<string, { Keys?: Record<string, AttributeValue>[] }>).map(
        ([name, request]) =>
          one(
            'BatchGetItem',
            name,
            (request.Keys ?? []).map((key) => hashOf(name, key)),
          ),
      );
    case 'BatchWriteItem':
      return Object.entries(
        (body.RequestItems ?? {}) as Record<
          string,
          { PutRequest?: { Item: Record<string, AttributeValue> }; DeleteRequest?: { Key: Record<string, AttributeValue> } }[]
        >,
      ).map(([name, writes]) =>
        one(
          'BatchWriteItem',
          name,
          writes.map((w) => hashOf(name, w.PutRequest?.Item ?? w.DeleteRequest?.Key)),
        ),
      );
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return (
        (body.TransactItems ?? []) as Record<
          string,
          { TableName: string; Key?: Record<string, AttributeValue>; Item?: Record<string, AttributeValue> }
        >[]
      ).map((item) => {
        const [kind, part] = Object.entries(item)[0]!;
        const action =
          { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' }[kind] ??
          kind;
        return one(action, part.TableName, [hashOf(part.TableName, part.Key ?? part.Item)]);
      });
    case 'ListTables':
      return [{ action: 'dynamodb:ListTables', resource: '*', context: {} }];
    default:
      // DescribeTable, UpdateTimeToLive, …: the action on the table the request names.
      return [one(operation, String(body.TableName ?? body.ResourceArn ?? '*'))];
  }
}

/**
 * The DynamoDB endpoint's check of each request (a `ServiceProxy`'s `authorize`): a function's call its
 * role does not allow is answered 400 `AccessDeniedException`, as DynamoDB answers it.
 */
export function authorizeDynamoDb(authorizer: IamAuthorizer, tables: () => ReadonlyMap<string, TableInfo>) {
  return (headers: IncomingHttpHeaders, body: Buffer) => {
    const target = String(headers['x-amz-target'] ?? '');
    const denial = authorizer.deny(headers, () => {
      // Streams are read by the local cloud's own pollers, as Lambda's event source mappings read them.
      if (!target.startsWith('DynamoDB_')) return undefined;
      // DynamoDB answers a body that is not JSON itself.
      const input = jsonInputOf(body);
      return input && dynamoDbAuthorizations(target, input, tables());
    });
    if (!denial) return undefined;
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: denial.message }),
    };
  };
}
