/**
 * The Connect endpoints of devcatalog, registered by the handler with one call: the CA (agent and non-agent roots,
 * agent leaf) and `/v1/health/connect/:service`. Blocking queries and consistency modes are the catalog's (`read`).
 */
import type { ConnectCA } from './connect-ca.ts';
import type { CatalogState, Query } from './state.ts';

/** The handler's `Reply` (structurally; handler.ts imports this file). */
interface Reply { status: number; body?: unknown; headers?: Record<string, string> }
type Read = <T>(build: () => Query<T>) => Promise<Reply>;

/**
 * Answers a Connect path, or returns undefined when `seg` (the path after `/v1/`, split on '/') is not one.
 * `caFault`: a status every CA answer is replaced with (a CA fault switched on in `faults.connectCA`), checked when
 * the answer is ready, so a parked blocking query fails too when it wakes.
 */
export async function connectRoute(env: { state: CatalogState; ca: ConnectCA }, call: { url: URL }, seg: string[], read: Read, caFault: () => number): Promise<Reply | undefined> {
  const [a, b, c, d] = seg;
  const rest = (n: number): string => decodeURIComponent(seg.slice(n).join('/'));
  const ca = env.ca;
  const faulty = async (answer: () => Promise<Reply>): Promise<Reply> => {
    if (caFault() > 0) return { status: caFault(), body: 'devcatalog: Connect CA fault (faults.connectCA)' };
    const r = await answer();
    return caFault() > 0 ? { status: caFault(), body: 'devcatalog: Connect CA fault (faults.connectCA)' } : r;
  };
  if (a === 'agent' && b === 'connect' && c === 'ca' && d === 'roots' && seg.length === 4) return faulty(() => read(() => ca.rootsQuery()));
  if (a === 'connect' && b === 'ca' && c === 'roots' && seg.length === 3) return faulty(() => read(() => ca.rootsQuery()));
  if (a === 'agent' && b === 'connect' && c === 'ca' && d === 'leaf' && seg.length >= 5 && seg[4]) {
    const service = rest(4);
    return faulty(() => read(() => ca.leafQuery(service)));
  }
  if (a === 'health' && b === 'connect' && seg.length >= 3 && c) {
    const passing = call.url.searchParams.has('passing') && !/^(false|0|f)$/i.test(call.url.searchParams.get('passing') ?? '');
    return read(() => env.state.healthConnect(rest(2), call.url.searchParams.getAll('tag'), passing));
  }
  return undefined;
}
