import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

/** One request on a fresh connection; `headers` values may be arrays (sent as repeated headers). */
export function send(base: string, path: string, headers: OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `count` GET requests to `base + path`, `concurrency` at a time. */
export async function load(base: string, count: number, concurrency: number, path = '/load'): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => { while (next < count) { next += 1; await send(base, path); } };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
