/**
 * What live traffic costs a request: the dashboard's counters (src/metrics/traffic.ts) on the request path.
 * Measures, in one process, (1) `record()` alone over 100 routers, and (2) the whole observer hook as the gateway
 * runs it: `onRequest` on a response (a real EventEmitter, as ServerResponse is one) then its 'close', against the
 * same response closing with no observer. Prints ns per request, median of rounds.
 * Run: node --import tsx bench/traffic.ts [rounds=7] [requests=1000000]
 */
import { EventEmitter } from 'node:events';
import { TrafficStore } from '../src/metrics/traffic.ts';

const rounds = Number(process.argv[2] ?? 7);
const n = Number(process.argv[3] ?? 1_000_000);
const ROUTERS = Array.from({ length: 100 }, (_, i) => `r${i}@consulcatalog`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function nsPer(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / n;
}

const store = new TrafficStore();
const recordOnly: number[] = [];
const hookOn: number[] = [];
const hookOff: number[] = [];
const route = { name: '', service: '', internal: false };
const obs = { metrics: true };

function requests(withObserver: boolean): void {
  for (let i = 0; i < n; i++) {
    const res = new EventEmitter() as EventEmitter & { statusCode: number };
    res.statusCode = i % 50 === 0 ? 502 : 200;
    const name = ROUTERS[i % 100]!;
    const ctx = { res, start: process.hrtime.bigint(), routerName: name, serviceName: name, observability: obs };
    route.name = name; route.service = name;
    if (withObserver) store.onRequest(ctx as never, route as never);
    res.emit('close');
  }
}

for (let r = 0; r < rounds; r++) {
  recordOnly.push(nsPer(() => { for (let i = 0; i < n; i++) store.record(ROUTERS[i % 100]!, ROUTERS[i % 100]!, 200, (i % 997) / 10); }));
  hookOff.push(nsPer(() => requests(false)));
  hookOn.push(nsPer(() => requests(true)));
}
const added = median(hookOn) - median(hookOff);
console.log(`record() alone:                     ${median(recordOnly).toFixed(0)} ns/request`);
console.log(`response closing, no observer:      ${median(hookOff).toFixed(0)} ns/request`);
console.log(`response closing, traffic observer: ${median(hookOn).toFixed(0)} ns/request (+${added.toFixed(0)} ns)`);
console.log(`(median of ${rounds} rounds of ${n} requests, ${process.version}; busy machine: compare the rows, not across runs)`);
