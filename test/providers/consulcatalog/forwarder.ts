import net from 'node:net';

/**
 * A loopback TCP forwarder whose target can be switched: the way to make "the same Consul address"
 * start answering differently (e.g. with ACLs) in a test. Switching drops every open connection,
 * as a restarted agent would.
 */
export interface Forwarder { port: number; address: string; switchTo(port: number): void; close(): Promise<void> }

export async function startForwarder(targetPort: number): Promise<Forwarder> {
  let target = targetPort;
  const sockets = new Set<net.Socket>();
  const server = net.createServer(function forward(client) {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    switchTo(p) { target = p; for (const s of sockets) s.destroy(); sockets.clear(); },
    close() { for (const s of sockets) s.destroy(); return new Promise((resolve) => server.close(() => resolve())); },
  };
}
