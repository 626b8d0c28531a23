/**
 * Issue 17: workers receive deltas, not the whole configuration; the primary never waits for a slow worker; a
 * worker that falls behind catches up from a snapshot. The protocol (server/deltas.ts) with in-memory peers; the
 * cluster itself runs it in test/server/workers.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changesSince } from '../../src/dynamic/changes.ts';
import type { Configuration, Message } from '../../src/dynamic/types.ts';
import { applyDelta, DeltaFanout, DeltaReceiver, encodeDelta, type FanoutMessage } from '../../src/server/deltas.ts';
import fc from 'fast-check';
import { aggregate } from '../../src/dynamic/aggregate.ts';
import { ConfigurationAggregator } from '../../src/runtime/changes.ts';

function catalog(n: number): Message {
  const c: Configuration = { http: { routers: {}, services: {}, middlewares: {} } };
  for (let i = 0; i < n; i++) {
    c.http.routers[`svc-${i}`] = { rule: `Host(\`svc-${i}.test\`)`, service: `svc-${i}` };
    c.http.services[`svc-${i}`] = { loadBalancer: { servers: [{ url: `http://10.0.0.${i % 250}:80` }] } };
  }
  return { providerName: 'consulcatalog', configuration: c, issues: [] };
}

/** The provider's next snapshot: the same objects but for the services `edit` replaces. */
function flip(m: Message, i: number, url: string): Message {
  const services = { ...m.configuration.http.services, [`svc-${i}`]: { loadBalancer: { servers: [{ url }] } } };
  return { ...m, configuration: { ...m.configuration, http: { ...m.configuration.http, services } } };
}

/** A peer as a worker is: it decodes what it receives (through JSON, as IPC does) and answers when it is not stopped. */
class Peer {
  readonly receiver = new DeltaReceiver();
  readonly inbox: FanoutMessage[] = [];
  readonly applied: Message[] = [];
  stopped = false;
  bytes = 0;
  constructor(readonly id: number, readonly fanout: () => DeltaFanout<number>) {}
  deliver(m: FanoutMessage): void {
    const wire = JSON.stringify(m);
    this.bytes += wire.length;
    this.inbox.push(JSON.parse(wire) as FanoutMessage);
    if (!this.stopped) this.drain();
  }
  drain(): void {
    for (const m of this.inbox.splice(0)) {
      const { messages, reply } = this.receiver.receive(m);
      this.applied.push(...messages);
      if (reply?.type === 'tagway:ack') this.fanout().ack(this.id, reply.seq);
      else if (reply?.type === 'tagway:resync') this.fanout().join(this.id);
    }
  }
  current(): Message { return this.applied[this.applied.length - 1]!; }
}

function cluster(n: number) {
  const peers = new Map<number, Peer>();
  const lagging: number[] = [];
  const fanout: DeltaFanout<number> = new DeltaFanout<number>((id, m) => peers.get(id)!.deliver(m), { maxUnacked: 4, onLag: (id) => lagging.push(id) });
  for (let id = 1; id <= n; id++) peers.set(id, new Peer(id, () => fanout));
  return { fanout, peers, lagging };
}

describe('deltas', () => {
  it('encode then apply gives the provider\'s snapshot, sharing unchanged items and noting what changed', () => {
    const a = catalog(100);
    const b = flip(a, 7, 'http://10.9.9.9:80');
    const delta = encodeDelta(a, b)!;
    assert.deepEqual(Object.keys(delta.set.services), ['svc-7']);
    assert.deepEqual(delta.set.routers, {});
    const wire = JSON.parse(JSON.stringify(delta)) as typeof delta;
    const got = applyDelta(a, wire);
    assert.deepEqual(got.configuration, b.configuration);
    assert.equal(got.configuration.http.services['svc-8'], a.configuration.http.services['svc-8'], 'unchanged items are the previous objects');
    assert.deepEqual(changesSince(a, got), { routers: [], services: ['svc-7'], middlewares: [] });
    assert.equal(encodeDelta(b, b), undefined, 'nothing changed: nothing to send');
  });

  it('a change reaches every worker as a delta a few hundred bytes long, not the 5,000-service configuration', () => {
    const { fanout, peers } = cluster(2);
    let m = catalog(5000);
    fanout.publish(m);
    for (const id of peers.keys()) fanout.join(id);
    const snapshotBytes = peers.get(1)!.bytes;
    m = flip(m, 42, 'http://10.1.2.3:80');
    fanout.publish(m);
    for (const peer of peers.values()) {
      assert.ok(peer.bytes - snapshotBytes < 500, `delta of ${peer.bytes - snapshotBytes} bytes (snapshot ${snapshotBytes})`);
      assert.deepEqual(peer.current().configuration, m.configuration);
    }
  });

  it('a stopped worker does not hold the others back; past the lag bound it gets no deltas, then catches up from a snapshot', () => {
    const { fanout, peers, lagging } = cluster(2);
    let m = catalog(50);
    fanout.publish(m);
    for (const id of peers.keys()) fanout.join(id);
    const slow = peers.get(2)!;
    slow.stopped = true;
    for (let k = 0; k < 20; k++) {
      m = flip(m, k, `http://10.7.0.${k}:80`);
      fanout.publish(m);
      assert.deepEqual(peers.get(1)!.current().configuration, m.configuration, 'the live worker has every change at once');
    }
    assert.deepEqual(lagging, [2]);
    assert.ok(fanout.behind(2));
    assert.equal(slow.inbox.length, 4, 'deltas stop at the lag bound: the queue to a stopped worker stays bounded');
    slow.stopped = false;
    slow.drain(); // it answers: the ack of its last delta brings a snapshot
    assert.ok(!fanout.behind(2));
    slow.drain();
    assert.deepEqual(slow.current().configuration, m.configuration, 'caught up');
    m = flip(m, 3, 'http://10.8.0.3:80');
    fanout.publish(m);
    assert.deepEqual(slow.current().configuration, m.configuration, 'and back on deltas');
  });

  it('a worker that sees a gap asks for a snapshot and ignores deltas until it has it', () => {
    const receiver = new DeltaReceiver();
    const a = catalog(3);
    assert.equal(receiver.receive({ type: 'tagway:snapshot', seq: 5, messages: [a] }).reply?.type, 'tagway:ack');
    const b = flip(a, 1, 'http://10.0.0.77:80');
    const gap = receiver.receive({ type: 'tagway:delta', seq: 7, delta: encodeDelta(a, b)! });
    assert.deepEqual(gap, { messages: [], reply: { type: 'tagway:resync' } });
    assert.deepEqual(receiver.receive({ type: 'tagway:delta', seq: 8, delta: encodeDelta(a, b)! }), { messages: [] });
    assert.equal(receiver.receive({ type: 'tagway:snapshot', seq: 8, messages: [b] }).messages[0], b);
  });

  it('a worker patches its item maps in place; rebuilds that skip deltas (coalesced) or follow a snapshot still see every change', () => {
    type Op = { kind: 'set' | 'del' | 'add'; i: number } | { kind: 'resync' } | { kind: 'rebuild' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constantFrom('set' as const, 'del' as const, 'add' as const), i: fc.nat(19) }),
      fc.constant({ kind: 'resync' as const }), fc.constant({ kind: 'rebuild' as const }), fc.constant({ kind: 'rebuild' as const }));
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
      const { fanout, peers } = cluster(1);
      const worker = peers.get(1)!;
      let m = catalog(20);
      let version = 0;
      fanout.publish(m);
      fanout.join(1);
      const aggregator = new ConfigurationAggregator();
      let seen = aggregator.update(new Map([['consulcatalog', worker.current()]])).aggregated;
      let before = structuredClone(seen.configuration.http);
      const rebuild = (): void => {
        const { aggregated, changes } = aggregator.update(new Map([['consulcatalog', worker.current()]]));
        const want = aggregate(new Map([['consulcatalog', m]])).configuration.http;
        assert.deepEqual(aggregated.configuration.http, want, JSON.stringify(ops));
        // Every item that differs from the last rebuild is among the changes (the runtime rebuilds only those).
        if (changes) {
          for (const kind of ['routers', 'services', 'middlewares'] as const) {
            const named = new Set(changes[kind]);
            for (const q of new Set([...Object.keys(before[kind]), ...Object.keys(want[kind])])) {
              if (JSON.stringify(before[kind][q]) !== JSON.stringify(want[kind][q])) assert.ok(named.has(q), `${kind} ${q} changed unnoticed after ${JSON.stringify(ops)}`);
            }
          }
        }
        seen = aggregated;
        before = structuredClone(aggregated.configuration.http);
      };
      for (const op of ops) {
        if (op.kind === 'rebuild') { rebuild(); continue; }
        if (op.kind === 'resync') { fanout.join(1); continue; }
        const http = { ...m.configuration.http, routers: { ...m.configuration.http.routers }, services: { ...m.configuration.http.services } };
        const name = `svc-${op.i}`;
        if (op.kind === 'set') http.services[name] = { loadBalancer: { servers: [{ url: `http://10.3.0.${++version % 250}:80` }] } };
        else if (op.kind === 'del') { delete http.routers[name]; delete http.services[name]; }
        else http.routers[`new-${op.i}`] = { rule: `Host(\`new-${op.i}-${++version}.test\`)`, service: name };
        m = { ...m, configuration: { ...m.configuration, http } };
        fanout.publish(m);
      }
      rebuild();
    }), { numRuns: 200, seed: 2026_12_06 });
  });
});

