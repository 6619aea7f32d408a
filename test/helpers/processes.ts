import { execFileSync } from 'node:child_process';

/** Command lines of the DynamoDB Local JVMs running on this machine (optionally only the one on `port`). */
export function dynamoDbLocalProcesses(port?: number): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('DynamoDBLocal.jar') && (port === undefined || line.includes(`-port ${port}`)))
    .map((line) => line.trim());
}
