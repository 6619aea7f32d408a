import { startLocalCloud } from '@eightfold/local-cloud';
import { placeOrders } from './scripts/load-test.ts';
import { mintToken } from './test/helpers/tokens.ts';
const logs = new Map<string, number>(); let bytes = 0; const sample: string[] = [];
const cloud = await startLocalCloud({ appDir: process.cwd(), port: 0, onLog: (source: string, line: string) => { logs.set(source, (logs.get(source) ?? 0) + 1); bytes += line.length; if (source.includes("LegacySync") && true) sample.push(line.slice(0, 1500)); } });
const signedIn = { baseUrl: cloud.url, token: await mintToken(cloud, { operator: 'bench' }) };
await placeOrders({ ...signedIn, orders: 50, concurrency: 8, customerPrefix: 'warm' });
await new Promise((r) => setTimeout(r, 4000));
logs.clear(); bytes = 0; sample.length = 0; const rec0 = cloud.pollers.map((p) => p.stats.records);
const inv0 = new Map([...cloud.functions].map(([k, f]) => [k, f.stats.invocations]));
const N = 300;
await placeOrders({ ...signedIn, orders: N, concurrency: 32, customerPrefix: 'load' });
await new Promise((r) => setTimeout(r, 6000));
const names = new Map(cloud.resources.filter((r) => r.type === 'AWS::DynamoDB::Table').map((r) => [r.physicalId, r.logicalId]));
for (const [k, f] of cloud.functions) { const d = f.stats.invocations - (inv0.get(k) ?? 0); if (d) console.log('inv', (d / N).toFixed(2).padStart(6), k); }
console.log(cloud.pollers.map((p) => `${p.stats.records}`).join(' '));

console.log([...logs].map(([k, v]) => `${k} ${(v / N).toFixed(2)}`).join("\n"), "bytes/order", (bytes / N).toFixed(0));
await cloud.stop();
console.log("timeouts", sample.filter((l) => l.includes("\"timeout\"")).length, "records", cloud.pollers.map((p, i) => p.stats.records - rec0[i]).join(" "));
const kinds = new Map<string, number>(); for (const l of sample) { const m = /"message":"([^"]*)"/.exec(l)?.[1] ?? (/"Metrics":\[\{"Name":"(\w+)"/.exec(l)?.[1]) ?? l.slice(0, 20); kinds.set(m, (kinds.get(m) ?? 0) + 1); } console.log([...kinds]); console.log(sample.find((l) => l.includes("WARN")) ?? "");
for (const l of sample.filter((l) => l.includes("WARN") || l.includes("ERROR")).slice(0, 6)) console.log(l.slice(0, 200), "...", l.slice(l.indexOf("xray_trace_id") + 50, l.indexOf("xray_trace_id") + 600));
