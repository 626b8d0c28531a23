import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { RecordedSpan, SpanValue } from '../spans/span.ts';
import { unixNanos } from '../spans/span.ts';
import type { BodyBuffer } from './body-buffer.ts';
import type { OtlpEncoding } from './encoding.ts';
import { PairCache } from './pair-cache.ts';

/**
 * OTLP/HTTP JSON (`application/json`): the document @opentelemetry/otlp-transformer's JsonTraceSerializer
 * writes for the same spans (hex ids, nanosecond strings, `flags` with the W3C trace flags and the
 * is-remote bits), without zero-valued optional fields. Spans are written as text straight into the
 * batch's buffer, the repeated attribute pairs from a cache (see `pairJson`).
 *
 * @example
 * const spans = new BodyBuffer();
 * batch.forEach((span, i) => otlpJson.writeSpan(spans, span, i === 0));
 * otlpJson.framer(resource.attributes, { name: 'tagway' })(request, spans.bytes()); // {"resourceSpans":[…]}
 */
export const otlpJson: OtlpEncoding = {
  contentType: 'application/json',
  writeSpan(body, span, first) {
    body.write(first ? spanJson(span) : ',' + spanJson(span));
  },
  framer(resource, scope) {
    const head = `{"resourceSpans":[{"resource":{"attributes":[${attributesJson(resource)}]},"scopeSpans":[{"scope":${JSON.stringify(scope)},"spans":[`;
    return function frameJson(body: BodyBuffer, spans: Uint8Array) {
      body.write(head);
      body.writeBytes(spans);
      body.write(']}]}]}');
    };
  },
};

/** One span as OTLP JSON text (a `Span` of ExportTraceServiceRequest). */
function spanJson(span: RecordedSpan): string {
  let out = `{"traceId":"${span.traceId}","spanId":"${span.spanId}"`;
  if (span.parentSpanId !== '') out += `,"parentSpanId":"${span.parentSpanId}"`;
  if (span.traceState !== '') out += `,"traceState":${JSON.stringify(span.traceState)}`;
  // sampled (only sampled spans are recorded) | CONTEXT_HAS_IS_REMOTE | CONTEXT_IS_REMOTE when the parent is remote
  out += `,"flags":${span.parentRemote ? 0x301 : 0x101},"name":${JSON.stringify(span.name)},"kind":${span.kind}`;
  out += `,"startTimeUnixNano":"${unixNanos(span.startTime)}","endTimeUnixNano":"${unixNanos(span.endTime)}","attributes":[${pairsJson(span.attributes)}]`;
  if (span.droppedAttributes > 0) out += `,"droppedAttributesCount":${span.droppedAttributes}`;
  if (span.events !== undefined) {
    out += ',"events":[';
    for (let i = 0; i < span.events.length; i++) {
      const e = span.events[i]!;
      out += `${i === 0 ? '' : ','}{"timeUnixNano":"${unixNanos(e.time)}","name":${JSON.stringify(e.name)},"attributes":[${pairsJson(e.attributes)}]}`;
    }
    out += ']';
  }
  if (span.droppedEvents > 0) out += `,"droppedEventsCount":${span.droppedEvents}`;
  return out + (span.statusMessage !== ''
    ? `,"status":{"code":${span.status},"message":${JSON.stringify(span.statusMessage)}}}`
    : `,"status":{"code":${span.status}}}`);
}

function pairsJson(pairs: readonly SpanValue[]): string {
  let out = '';
  for (let i = 0; i < pairs.length; i += 2) {
    const json = pairJson(pairs[i] as string, pairs[i + 1]!);
    out = i === 0 ? json : out + ',' + json;
  }
  return out;
}

/** KeyValue JSON texts, by key (as a JSON string) and value. */
const PAIRS = new PairCache<string, string>(
  function keyJson(key) { return JSON.stringify(key); },
  function keyValueJson(keyJson, value) { return flat(`{"key":${keyJson},"value":${anyValueJson(value as AttributeValue)}}`); },
);

/** `{"key":…,"value":{…}}` for one attribute. */
function pairJson(key: string, value: SpanValue): string {
  const entry = PAIRS.key(key);
  return PAIRS.pair(entry, value) ?? `{"key":${entry.key},"value":${anyValueJson(value as AttributeValue)}}`;
}

/**
 * The same string, flattened: a concatenation is a rope that every later concatenation containing it
 * would walk again; a cached piece is flattened once. (`Number()` reads every character, which makes V8
 * flatten the rope in place.)
 */
function flat(s: string): string {
  Number(s);
  return s;
}

function anyValueJson(value: AttributeValue | null | undefined): string {
  switch (typeof value) {
    case 'string': return `{"stringValue":${JSON.stringify(value)}}`;
    case 'boolean': return value ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'number':
      if (Number.isInteger(value)) return `{"intValue":${JSON.stringify(value)}}`;
      return Number.isFinite(value) ? `{"doubleValue":${JSON.stringify(value)}}` : `{"doubleValue":"${String(value)}"}`;
    default:
      if (Array.isArray(value)) {
        let out = '{"arrayValue":{"values":[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + anyValueJson(value[i] as AttributeValue);
        return out + ']}}';
      }
      return '{}';
  }
}

/** Attributes (the resource's) as comma-separated KeyValue JSON, without caching. */
function attributesJson(attributes: Attributes): string {
  let out = '';
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    out += `${out === '' ? '' : ','}{"key":${JSON.stringify(key)},"value":${anyValueJson(value)}}`;
  }
  return out;
}
