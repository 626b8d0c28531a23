import cluster, { type Worker } from 'node:cluster';
import type { Message } from '../dynamic/types.ts';
import type { StaticConfig } from '../static/types.ts';
import type { Provider, ProviderStatus } from '../providers/provider.ts';
import type { Logger } from '../util/log.ts';
import { defaultProviders } from './providers.ts';
import { startGateway, type Gateway } from './gateway.ts';
import { DeltaFanout, DeltaReceiver, type FanoutMessage } from './deltas.ts';
import { TrafficStore, TRAFFIC_SECONDS, type TrafficFrame } from '../metrics/traffic.ts';

/**
 * What the primary sends its workers over IPC: a provider's changes (`seq` numbers every delta, all providers
 * together), or every provider's whole snapshot to a worker that starts or fell behind.
 */
type ToWorker =
  | FanoutMessage
  | { type: 'tagway:status'; statuses: ProviderStatus[] }
  | { type: 'tagway:traffic'; frames: TrafficFrame[] };

/** What a worker sends back about configuration: it applied up to `seq`; it lost track and wants a snapshot. */
type FromWorker = { type: 'tagway:ack'; seq: number } | { type: 'tagway:resync' };

/** Deltas a worker may leave unacknowledged before the primary stops sending it deltas (it gets a snapshot). */
const MAX_UNACKED = 16;

/** How often workers send their finished seconds of traffic, and the primary its sums back. */
const TRAFFIC_EVERY_MS = 1000;

/**
 * Receives the primary's configuration in a worker: deltas applied to the last snapshot of their provider (each
 * acknowledged), or a whole snapshot after a gap. The worker never talks to Consul or reads files itself, so the
 * gateway's connections to Consul do not grow with the number of workers.
 */
class RemoteProvider implements Provider {
  readonly name = 'remote';
  #statuses: ProviderStatus[] = [];
  readonly #receiver = new DeltaReceiver();

  provide(emit: (message: Message) => void, signal: AbortSignal): Promise<void> {
    const onMessage = (raw: unknown) => {
      const m = raw as ToWorker;
      if (m?.type === 'tagway:delta' || m?.type === 'tagway:snapshot') {
        const { messages, reply } = this.#receiver.receive(m);
        for (const message of messages) emit(message);
        if (reply) process.send?.(reply satisfies FromWorker);
      } else if (m?.type === 'tagway:status') this.#statuses = m.statuses;
    };
    process.on('message', onMessage);
    signal.addEventListener('abort', () => process.off('message', onMessage), { once: true });
    process.send?.({ type: 'tagway:ready' });
    return Promise.resolve();
  }

  status(): ProviderStatus { return { name: 'remote' }; }
  statuses(): ProviderStatus[] { return this.#statuses; }
}

/** A worker that dies before it listens is restarted after this delay, doubled each time (bounded). */
const RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Runs the gateway on `config.workers` processes. The primary runs the providers and sends each change as
 * a delta (and the providers' status every second) to every worker; workers share the listening
 * sockets through node:cluster. Sending never waits for a worker: one that leaves more than `MAX_UNACKED`
 * deltas unacknowledged (busy, stopped) gets no more deltas, and a snapshot once it acknowledges again. Resolves once every worker listens; rejects (after stopping the
 * others) when a worker exits before that, e.g. on a port already in use. A worker that dies later is
 * replaced and receives the last snapshots; replacements that keep dying are retried with a growing delay.
 */
export async function runClustered(config: StaticConfig, log: Logger): Promise<{ close(): Promise<void> }> {
  if (!cluster.isPrimary) {
    const remote = new RemoteProvider();
    // The API of any worker may answer: each shows the cluster's traffic as the primary sums it.
    const clusterTraffic = new TrafficStore();
    const onTraffic = (raw: unknown) => {
      const m = raw as ToWorker;
      if (m?.type === 'tagway:traffic') for (const f of m.frames) clusterTraffic.set(f);
    };
    process.on('message', onTraffic);
    const gw: Gateway = await startGateway({ config, logger: log.child({ worker: process.pid }), providers: [remote], statusSource: () => remote.statuses(), trafficView: clusterTraffic });
    const own = gw.trafficRecorder;
    const sender = own && setInterval(() => {
      const frames = own.takeCompleted();
      if (frames.length > 0 && process.connected) process.send?.({ type: 'tagway:traffic', frames });
    }, TRAFFIC_EVERY_MS);
    sender?.unref();
    return { close: async () => { clearInterval(sender); process.off('message', onTraffic); await gw.close(); } };
  }
  // The Consul provider on a thread of its own, below the primary's loop, which accepts the workers' connections
  // (node:cluster hands them over from here): a catalog change never delays one (util/thread-priority.ts).
  const providers = defaultProviders(config, log, { thread: true });
  const abort = new AbortController();
  const broadcast = (m: ToWorker) => { for (const w of Object.values(cluster.workers ?? {})) w?.isConnected() && w.send(m); };
  const fanout = new DeltaFanout<number>((id, m) => { const w = cluster.workers?.[id]; if (w?.isConnected()) w.send(m satisfies ToWorker); }, {
    maxUnacked: MAX_UNACKED,
    onLag: (id, unacked) => log.warn('worker lagging; it gets a snapshot once it answers', { pid: cluster.workers?.[id]?.process.pid, unacked }),
  });
  const publish = (message: Message): void => fanout.publish(message);
  const statuses = () => providers.map((p) => p.status());
  const ready = new Set<number>();
  let started = false;
  let restartDelay = RESTART_DELAY_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let startup!: { resolve: () => void; reject: (err: Error) => void };
  const allReady = new Promise<void>((resolve, reject) => { startup = { resolve, reject }; });
  // The workers' traffic, summed per second; the seconds that changed go back to every worker.
  const traffic = new TrafficStore();
  const changed = new Set<number>();
  const fork = (): Worker => {
    const w = cluster.fork();
    w.on('message', (m: { type?: string; frames?: TrafficFrame[]; seq?: number }) => {
      if (m?.type === 'tagway:traffic') {
        for (const f of m.frames ?? []) { traffic.add(f); changed.add(f.sec); }
        return;
      }
      if (m?.type === 'tagway:ack') { fanout.ack(w.id, m.seq ?? 0); return; }
      if (m?.type === 'tagway:resync') { fanout.join(w.id); return; }
      if (m?.type !== 'tagway:ready') return;
      fanout.join(w.id);
      w.send({ type: 'tagway:status', statuses: statuses() } satisfies ToWorker);
      // A replacement worker's API shows the minutes before it started too.
      const now = Math.floor(Date.now() / 1000);
      w.send({ type: 'tagway:traffic', frames: traffic.frames(Array.from({ length: TRAFFIC_SECONDS }, (_, i) => now - i)) } satisfies ToWorker);
      ready.add(w.id);
      restartDelay = RESTART_DELAY_MS;
      if (!started && ready.size === config.workers) { started = true; startup.resolve(); }
    });
    return w;
  };
  for (let i = 0; i < config.workers; i++) fork();
  let stopping = false;
  cluster.on('exit', (w, code, signal) => {
    const wasReady = ready.delete(w.id);
    fanout.leave(w.id);
    if (stopping) return;
    if (!started) {
      startup.reject(new Error(`worker ${w.process.pid} exited before listening (code ${code}${signal ? `, signal ${signal}` : ''}); see its log`));
      return;
    }
    const delay = wasReady ? 0 : restartDelay;
    if (!wasReady) restartDelay = Math.min(restartDelay * 2, MAX_RESTART_DELAY_MS);
    log.error('worker exited; starting a new one', { pid: w.process.pid, code, signal, delayMs: delay });
    restartTimer = setTimeout(() => { restartTimer = undefined; if (!stopping) fork(); }, delay);
  });
  for (const p of providers) {
    p.provide(publish, abort.signal)
      .catch((err: unknown) => log.error('provider stopped', { provider: p.name, error: String(err) }));
  }
  const timer = setInterval(() => broadcast({ type: 'tagway:status', statuses: statuses() }), 1000);
  timer.unref();
  const trafficTimer = setInterval(() => {
    if (changed.size === 0) return;
    broadcast({ type: 'tagway:traffic', frames: traffic.frames(changed) });
    changed.clear();
  }, TRAFFIC_EVERY_MS);
  trafficTimer.unref();
  const handle = {
    async close() {
      stopping = true;
      abort.abort();
      clearInterval(timer);
      clearInterval(trafficTimer);
      clearTimeout(restartTimer);
      await Promise.all(Object.values(cluster.workers ?? {}).map((w) => new Promise<void>((resolve) => {
        if (!w || w.isDead()) { resolve(); return; }
        w.once('exit', () => resolve());
        w.process.kill('SIGTERM');
      })));
    },
  };
  try {
    await allReady;
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
