import type { Attributes } from '@opentelemetry/api';
import type { CompactTrace } from '../spans/compact.ts';
import type { RecordedSpan } from '../spans/span.ts';
import type { BodyBuffer } from './body-buffer.ts';

/**
 * One OTLP/HTTP body encoding (protobuf or JSON). A batch's spans are encoded one by one into the
 * batch's buffer when it leaves; the request around them (resource, scope) is written then too.
 */
export interface OtlpEncoding {
  readonly contentType: 'application/x-protobuf' | 'application/json';
  /** Appends `span` to a batch's spans (`first`: nothing before it in this batch). */
  writeSpan(body: BodyBuffer, span: RecordedSpan, first: boolean): void;
  /**
   * Appends a compact trace's spans (spans/compact.ts: its attempts, then its server span), the bytes writeSpan
   * writes for the RecordedSpans `toRecordedSpans` makes of it. An encoding without it never gets compact traces.
   */
  writeRequest?(body: BodyBuffer, trace: CompactTrace, first: boolean): void;
  /**
   * Encodes the resource and scope once; the returned function writes a whole ExportTraceServiceRequest
   * into `body` around the spans of one batch (as `writeSpan` wrote them).
   */
  framer(resource: Attributes, scope: { name: string; version?: string }): (body: BodyBuffer, spans: Uint8Array) => void;
}

/** Error thrown for an OTLP protocol tagway does not speak (it stops startup, naming the variable). */
export class OtlpProtocolError extends Error {
  readonly code = 'TAGWAY_TRACING_PROTOCOL' as const;
  constructor(message: string) { super(message); this.name = 'OtlpProtocolError'; }
}
