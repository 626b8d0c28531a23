import type { PartialSuccess } from './send.ts';

/**
 * Reads `grpc-status-details-bin`: a base64 (padding optional) google.rpc.Status { code = 1, message = 2,
 * repeated google.protobuf.Any details = 3 }, looking for a google.rpc.RetryInfo { Duration retry_delay = 1 }
 * (Duration { int64 seconds = 1; int32 nanos = 2 }), which OTLP/gRPC collectors send to say when to retry
 * (googleapis google/rpc/status.proto, error_details.proto). Anything malformed reads as "no details".
 */
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

export interface GrpcStatusDetails {
  /** RetryInfo's delay, ms, when the status carries one. */
  retryDelayMs?: number;
}

/** @example decodeGrpcStatusDetails(trailers['grpc-status-details-bin'])?.retryDelayMs // → 1500 */
export function decodeGrpcStatusDetails(value: string | string[] | undefined): GrpcStatusDetails | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  try {
    const out: GrpcStatusDetails = {};
    for (const [field, any] of fields(Buffer.from(raw, 'base64'))) {
      if (field !== 3 || !(any instanceof Uint8Array)) continue;
      let type = '';
      let inner: Uint8Array | undefined;
      for (const [f, v] of fields(any)) {
        if (f === 1 && v instanceof Uint8Array) type = Buffer.from(v).toString('utf8');
        else if (f === 2 && v instanceof Uint8Array) inner = v;
      }
      if (type !== RETRY_INFO_TYPE || inner === undefined) continue;
      for (const [f, duration] of fields(inner)) {
        if (f !== 1 || !(duration instanceof Uint8Array)) continue;
        let seconds = 0;
        let nanos = 0;
        for (const [df, dv] of fields(duration)) {
          if (df === 1 && typeof dv === 'number') seconds = dv;
          else if (df === 2 && typeof dv === 'number') nanos = dv;
        }
        out.retryDelayMs = Math.max(0, seconds * 1000 + Math.round(nanos / 1e6));
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * The `partial_success` of an ExportTraceServiceResponse (protobuf: { ExportTracePartialSuccess partial_success = 1 },
 * ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2 }), when it rejected spans;
 * undefined for a full success, an empty answer or one that does not decode.
 *
 * @example decodePartialSuccess(answer) // → { spans: 3, message: 'span too large' }
 */
export function decodePartialSuccess(response: Uint8Array): PartialSuccess | undefined {
  try {
    for (const [field, partial] of fields(response)) {
      if (field !== 1 || !(partial instanceof Uint8Array)) continue;
      let spans = 0;
      let message = '';
      for (const [f, v] of fields(partial)) {
        if (f === 1 && typeof v === 'number') spans = v;
        else if (f === 2 && v instanceof Uint8Array) message = Buffer.from(v).toString('utf8');
      }
      return spans > 0 ? { spans, message } : undefined;
    }
  } catch { /* a malformed answer says nothing about rejected spans */ }
  return undefined;
}

/** The same from the OTLP JSON mapping (`{"partialSuccess":{"rejectedSpans":"3","errorMessage":"…"}}`). */
export function decodePartialSuccessJson(text: string): PartialSuccess | undefined {
  try {
    const partial = (JSON.parse(text) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } }).partialSuccess;
    const spans = Number(partial?.rejectedSpans ?? 0);
    return Number.isSafeInteger(spans) && spans > 0 ? { spans, message: partial?.errorMessage ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of one message: varints as numbers, length-delimited as bytes; fixed ones skipped; throws when truncated. */
function* fields(buf: Uint8Array): Generator<[number, number | Uint8Array]> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= buf.length || shift > 63) throw new Error('truncated varint');
      const b = buf[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
  };
  while (at < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) yield [field, varint()];
    else if (wire === 2) {
      const n = varint();
      if (at + n > buf.length) throw new Error('truncated field');
      yield [field, buf.subarray(at, at + n)];
      at += n;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (at > buf.length) throw new Error('truncated field');
  }
}
