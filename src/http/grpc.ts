import type { IncomingHttpHeaders } from 'node:http';

/**
 * A gRPC call: `content-type: application/grpc` or `application/grpc+<codec>` (gRPC-Web is not: its clients
 * read the status from the body, which the grpcWeb middleware writes).
 */
export function isGrpc(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): boolean {
  const ct = headers['content-type'];
  const v = Array.isArray(ct) ? ct[0] : ct;
  if (v === undefined || v.length < 16) return false;
  const lower = v.toLowerCase();
  return lower.startsWith('application/grpc') && (lower.length === 16 || lower[16] === '+' || lower[16] === ';');
}

/** `/package.Service/Method` → its two parts (OpenTelemetry's rpc.service and rpc.method), else undefined. */
export function grpcMethod(path: string): { service: string; method: string } | undefined {
  const slash = path.indexOf('/', 1);
  if (path.charCodeAt(0) !== 47 || slash <= 1 || slash === path.length - 1 || path.indexOf('/', slash + 1) !== -1) return undefined;
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}
