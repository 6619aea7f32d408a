import { execFileSync } from 'node:child_process';

/**
 * Command lines of the DynamoDB Local JVMs running on this machine: only the one on `port`, or only those
 * this process started (`startedBy`), since another test lane may start and stop its own meanwhile.
 */
export function dynamoDbLocalProcesses(only: { port?: number; startedBy?: number } = {}): string[] {
  return execFileSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([, ppid, ...args]) =>
        args.join(' ').includes('DynamoDBLocal.jar') &&
        (only.port === undefined || args.join(' ').includes(`-port ${only.port}`)) &&
        (only.startedBy === undefined || Number(ppid) === only.startedBy),
    )
    .map(([pid, , ...args]) => `${pid} ${args.join(' ')}`);
}
