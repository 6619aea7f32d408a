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

/** The addresses (`host:port`, as `ss` prints them) that a process and its descendants listen on for TCP. */
export function listeningAddresses(rootPid: number): string[] {
  const children = new Map<number, number[]>();
  for (const line of execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree = new Set<number>();
  for (const queue = [rootPid]; queue.length > 0;) {
    const pid = queue.pop()!;
    tree.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((match) => tree.has(Number(match[1]))))
    .map((line) => line.trim().split(/\s+/)[3]!);
}
