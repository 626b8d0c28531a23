import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { unixNanos, type RecordedSpan } from '../spans/span.ts';

/**
 * One span as OTLP/HTTP JSON text (a `Span` of ExportTraceServiceRequest), the document
 * @opentelemetry/otlp-transformer's JsonTraceSerializer writes for the same span (hex ids, nanosecond
 * strings, `flags` with the W3C trace flags and the is-remote bits), without zero-valued optional fields.
 * Written directly: the attributes are already JSON text (see `pairJson`).
 */
export function spanJson(span: RecordedSpan): string {
  let out = `{"traceId":"${span.traceId}","spanId":"${span.spanId}"`;
  if (span.parentSpanId !== '') out += `,"parentSpanId":"${span.parentSpanId}"`;
  if (span.traceState !== '') out += `,"traceState":${JSON.stringify(span.traceState)}`;
  // sampled (only sampled spans are recorded) | CONTEXT_HAS_IS_REMOTE | CONTEXT_IS_REMOTE when the parent is remote
  out += `,"flags":${span.parentRemote ? 0x301 : 0x101},"name":${JSON.stringify(span.name)},"kind":${span.kind}`;
  out += `,"startTimeUnixNano":"${unixNanos(span.startTime)}","endTimeUnixNano":"${unixNanos(span.endTime)}","attributes":[${span.attributes}]`;
  if (span.droppedAttributes > 0) out += `,"droppedAttributesCount":${span.droppedAttributes}`;
  if (span.eventCount > 0) out += `,"events":[${span.events}]`;
  return out + (span.statusMessage !== ''
    ? `,"status":{"code":${span.status},"message":${JSON.stringify(span.statusMessage)}}}`
    : `,"status":{"code":${span.status}}}`);
}

/**
 * KeyValue JSON texts by key, then by value. Most attributes repeat from span to span (entry point,
 * method, protocol, scheme, addresses, the ports of the few dozen keep-alive connections, user agent,
 * status), so most pairs are two lookups instead of escaping and concatenating. Bounded both ways: a key
 * with too many values (paths, say) starts its list over; keys beyond the limit are written each time.
 */
const PAIRS = new Map<string, Map<unknown, string>>();
const MAX_KEYS = 256;
const MAX_VALUES_PER_KEY = 128;

/** `{"key":…,"value":{…}}` for one attribute. */
export function pairJson(key: string, value: AttributeValue | readonly string[]): string {
  let values = PAIRS.get(key);
  let json = values?.get(value);
  if (json !== undefined) return json;
  json = flat(`{"key":${JSON.stringify(key)},"value":${anyValueJson(value as AttributeValue)}}`);
  if (typeof value === 'object') return json; // arrays are new objects on every span: never found again
  if (values === undefined && PAIRS.size < MAX_KEYS) PAIRS.set(key, (values = new Map()));
  if (values !== undefined) {
    if (values.size >= MAX_VALUES_PER_KEY) values.clear();
    values.set(value, json);
  }
  return json;
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

/** The resource part of a ResourceSpans, `{"attributes":[…]}`; computed once per tracing instance. */
export function resourceJson(resource: Resource): string {
  return `{"attributes":[${attributesJson(resource.attributes)}]}`;
}

/** Attributes (resource, tests) as comma-separated KeyValue JSON, without caching. */
export function attributesJson(attributes: Attributes): string {
  let out = '';
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    out += `${out === '' ? '' : ','}{"key":${JSON.stringify(key)},"value":${anyValueJson(value)}}`;
  }
  return out;
}
