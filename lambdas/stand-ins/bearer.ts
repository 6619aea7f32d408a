import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHash, timingSafeEqual } from 'node:crypto';
import { header } from '../platform/http.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether the request carries the bearer token held in `secretArn` (read through Powertools' cache for five
 * minutes), compared in constant time: how a stand-in checks the token Eightfold's ambassador sends it.
 */
export async function bearerMatches(event: APIGatewayProxyEvent, secretArn: string): Promise<boolean> {
  const token = (await getSecret(secretArn, { maxAge: 300 })) as string;
  const presented = header(event, 'authorization')?.replace(/^Bearer /, '') ?? '';
  return timingSafeEqual(digest(presented), digest(token));
}
