import type { Server } from 'node:net';

/** ":8000" → { host: undefined, port: 8000 }; "127.0.0.1:0", "[::1]:80", "localhost:8080". */
export function parseAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)(?:\/(tcp|udp))?$/.exec(address.trim());
  if (!m) throw new Error(`invalid entry point address "${address}": expected [host]:port, e.g. ":8000"`);
  const host = m[1] ?? (m[2] ? m[2] : undefined);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in address "${address}"`);
  return { host, port };
}

/** Listens and resolves with the bound port; a port in use is a clear error, not a stack trace. */
export function listen(server: Server, address: string, what: string): Promise<{ host: string; port: number }> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new Error(`${what}: address ${address} is already in use (choose another port)`, { cause: err }));
      else if (err.code === 'EACCES') reject(new Error(`${what}: permission denied to listen on ${address} (ports below 1024 need privileges)`, { cause: err }));
      else reject(new Error(`${what}: cannot listen on ${address}: ${err.message}`, { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      if (a && typeof a === 'object') resolve({ host: a.address, port: a.port });
      else resolve({ host: host ?? '', port });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
