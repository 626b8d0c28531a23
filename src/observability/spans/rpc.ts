import { grpcMethod } from '../../http/grpc.ts';
import type { RecordedSpan } from './span.ts';

/** gRPC status names for span status messages (grpc/doc/statuscodes.md). */
const GRPC_STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
  'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/**
 * OpenTelemetry's RPC attributes of a gRPC call, beside the HTTP ones: `rpc.system=grpc`, `rpc.service`,
 * `rpc.method` (from the `/package.Service/Method` path; a path of another shape gets `rpc.system` only).
 */
export function setRpcAttributes(span: RecordedSpan, path: string): void {
  span.set('rpc.system', 'grpc');
  const m = grpcMethod(path);
  if (m === undefined) return;
  span.set('rpc.service', m.service);
  span.set('rpc.method', m.method);
}

/**
 * `rpc.grpc.status_code`, and the span status Error for any non-OK code (`undefined`: the call ended without a
 * status, e.g. the client left; the HTTP outcome decides then).
 */
export function setGrpcStatus(span: RecordedSpan, code: number | undefined): void {
  if (code === undefined || !Number.isInteger(code)) return;
  span.set('rpc.grpc.status_code', code);
  if (code !== 0) span.fail(`gRPC status ${GRPC_STATUS_NAMES[code] ?? code}`);
}
