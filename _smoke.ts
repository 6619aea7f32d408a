import { startLocalCloud } from './scripts/local-cloud/local-cloud.ts';
const cloud = await startLocalCloud({ appDir: '.', port: 0, apiKeyValue: 'test-key', onLog: (s, l) => { if (/error|ERROR|"level":"WARN"/i.test(l)) console.log(s, l.slice(0, 300)); } });
const post = (path: string, body?: unknown, headers: Record<string, string> = {}) => fetch(`${cloud.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body ? JSON.stringify(body) : undefined });
try {
  const { orderId } = await (await post('/orders', { customerId: 'c1', items: [{ sku: 'B', quantity: 1, unitPriceCents: 500 }] })).json() as any;
  let t = performance.now();
  let r = await post(`/orders/${orderId}/payment`);
  console.log('pay', r.status, await r.text(), (performance.now() - t).toFixed(0), 'ms');
  const o2 = (await (await post('/orders', { customerId: 'c1', items: [{ sku: 'B', quantity: 1, unitPriceCents: 500 }] })).json() as any).orderId;
  r = await post(`/orders/${o2}/payment`, { cardToken: 'tok_decline' });
  console.log('decline', r.status, await r.text());
  r = await fetch(`${cloud.url}/ops/faults/payment-provider`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: JSON.stringify({ down: true }) });
  console.log('faults', r.status, await r.text());
  for (let i = 0; i < 6; i++) {
    const o = (await (await post('/orders', { customerId: 'c1', items: [{ sku: 'B', quantity: 1, unitPriceCents: 500 }] })).json() as any).orderId;
    t = performance.now();
    r = await post(`/orders/${o}/payment`);
    console.log('down pay', r.status, r.headers.get('retry-after'), (await r.text()).slice(0, 120), (performance.now() - t).toFixed(0), 'ms');
  }
  r = await fetch(`${cloud.url}/ops/breakers`, { headers: { 'x-api-key': 'test-key' } });
  console.log('breakers', r.status, await r.text());
  r = await fetch(`${cloud.url}/ops/breakers`);
  console.log('no key', r.status, await r.text());
} finally { await cloud.stop(); }
