import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * For an entry point's `server.on('upgrade', (req, socket, head) => …)`: a `ServerResponse` bound to the
 * raw socket, so an upgrade request runs through the ordinary handler chain (middlewares may refuse it
 * with a normal answer) and the forwarder can switch protocols on it. Node hands upgrade requests to
 * 'upgrade' only, with its HTTP parser detached — the one state in which the socket can become a
 * tunnel. Bytes that arrived after the head are put back on the socket; a non-101 answer closes it.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => listener(req, responseForUpgrade(req, socket, head)));
 */
export function responseForUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse {
  if (head.length > 0) socket.unshift(head);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', function closeAfterAnswer() { socket.end(); });
  socket.on('error', function ignoreSocketError() { /* 'close' follows; the exchange reacts to that */ });
  return res;
}
