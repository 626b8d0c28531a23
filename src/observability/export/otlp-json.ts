import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  R_ATTRIBUTE_COUNT, R_DROPPED_ATTRIBUTES, R_DROPPED_EVENTS, R_DROPPED_LINKS, R_END_NS, R_END_S, R_EVENT_COUNT, R_HEAD,
  R_KIND, R_NAME, R_PARENT_SPAN_ID, R_SCOPE, R_SPAN_ID, R_START_NS, R_START_S, R_STATUS_CODE, R_STATUS_MESSAGE,
  R_TRACE_ID, R_TRACE_STATE, ScopeTable, toRecord, type SpanRecord,
} from './span-record.ts';

/** Spans serialized between two yields to the event loop (about a millisecond of work). */
export const SPANS_PER_SLICE = 64;

/** One batch for the encoder: records of one resource, their scope table and the resource, pre-encoded. */
export interface RecordBatch {
  /** `{"attributes":[…]}`, from `resourceJson`. */
  resource: string;
  scopes: ReadonlyArray<{ name: string; version?: string }>;
  records: readonly SpanRecord[];
}

/**
 * OTLP/HTTP JSON (ExportTraceServiceRequest) from the SDK's spans, stringified in slices with a yield
 * to the event loop in between, so a 512-span batch never stalls requests for the several milliseconds
 * a single JSON.stringify of it takes. The gateway itself encodes in its export worker (`encodeBatch`
 * on records); this entry point serves the in-thread fallback and SpanExporter conformance.
 * Wire format as @opentelemetry/otlp-transformer's JsonTraceSerializer (hex ids, nanosecond strings).
 *
 * @example
 * const body = await serializeSpans(batch); // Buffer of application/json
 */
export async function serializeSpans(spans: readonly ReadableSpan[], perSlice = SPANS_PER_SLICE): Promise<Buffer> {
  const byResource = new Map<Resource, { scopes: ScopeTable; records: SpanRecord[] }>();
  for (const span of spans) {
    let group = byResource.get(span.resource);
    if (!group) byResource.set(span.resource, (group = { scopes: new ScopeTable(), records: [] }));
    group.records.push(toRecord(span, group.scopes.indexOf(span.instrumentationScope)));
  }
  const batches: RecordBatch[] = [];
  for (const [resource, group] of byResource) batches.push({ resource: resourceJson(resource), scopes: group.scopes.list, records: group.records });
  return encodeBatches(batches, perSlice);
}

/** Encodes batches (one ResourceSpans each), yielding to the event loop every `perSlice` spans. */
export async function encodeBatches(batches: readonly RecordBatch[], perSlice = SPANS_PER_SLICE): Promise<Buffer> {
  const resourceSpans: string[] = [];
  let sinceYield = 0;
  for (const batch of batches) {
    const slicesByScope: string[][] = batch.scopes.map(() => []);
    const records = batch.records;
    let start = 0;
    while (start < records.length) {
      if (sinceYield >= perSlice) { await new Promise<void>((resolve) => setImmediate(resolve)); sinceYield = 0; }
      const end = Math.min(records.length, start + perSlice - sinceYield);
      // one JSON.stringify per slice and scope: V8's serializer beats any string building of ours
      const pending: OtlpSpan[][] = batch.scopes.map(() => []);
      for (let i = start; i < end; i++) pending[records[i]![R_SCOPE] as number]!.push(otlpSpan(records[i]!));
      for (let s = 0; s < pending.length; s++) if (pending[s]!.length > 0) slicesByScope[s]!.push(JSON.stringify(pending[s]).slice(1, -1));
      sinceYield += end - start;
      start = end;
    }
    const scopeSpans: string[] = [];
    for (let s = 0; s < batch.scopes.length; s++) {
      if (slicesByScope[s]!.length > 0) scopeSpans.push(`{"scope":${JSON.stringify(batch.scopes[s])},"spans":[${slicesByScope[s]!.join(',')}]}`);
    }
    resourceSpans.push(`{"resource":${batch.resource},"scopeSpans":[${scopeSpans.join(',')}]}`);
  }
  return Buffer.from(`{"resourceSpans":[${resourceSpans.join(',')}]}`);
}

/** The resource part of a ResourceSpans, `{"attributes":[…]}`; computed once per resource by the caller. */
export function resourceJson(resource: Resource): string {
  return JSON.stringify({ attributes: keyValues(resource.attributes) });
}

interface OtlpKeyValue { key: string; value: OtlpAnyValue }
type OtlpAnyValue =
  | { stringValue: string } | { boolValue: boolean } | { intValue: number } | { doubleValue: number | string }
  | { arrayValue: { values: OtlpAnyValue[] } } | Record<string, never>;
interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId?: string; traceState?: string; name: string; kind: number;
  startTimeUnixNano: string; endTimeUnixNano: string; attributes: OtlpKeyValue[]; droppedAttributesCount?: number;
  events?: Array<{ timeUnixNano: string; name: string; attributes: OtlpKeyValue[]; droppedAttributesCount?: number }>;
  droppedEventsCount?: number; status: { code: number; message?: string }; droppedLinksCount?: number;
}

/**
 * One span as OTLP JSON. Fields at their proto3 default (0, empty list) are left out, as the JSON mapping
 * allows: about a tenth of the bytes of a typical span.
 */
function otlpSpan(r: SpanRecord): OtlpSpan {
  const message = r[R_STATUS_MESSAGE] as string;
  const code = r[R_STATUS_CODE] as number;
  const attributeCount = r[R_ATTRIBUTE_COUNT] as number;
  const out: OtlpSpan = {
    traceId: r[R_TRACE_ID] as string,
    spanId: r[R_SPAN_ID] as string,
    name: r[R_NAME] as string,
    kind: (r[R_KIND] as number) + 1, // OTLP kinds are the API's + 1
    startTimeUnixNano: nanos(r[R_START_S] as number, r[R_START_NS] as number),
    endTimeUnixNano: nanos(r[R_END_S] as number, r[R_END_NS] as number),
    attributes: recordKeyValues(r, R_HEAD, attributeCount),
    status: message ? { code, message } : { code },
  };
  const parent = r[R_PARENT_SPAN_ID] as string;
  if (parent) out.parentSpanId = parent;
  const traceState = r[R_TRACE_STATE] as string;
  if (traceState) out.traceState = traceState;
  const droppedAttributes = r[R_DROPPED_ATTRIBUTES] as number;
  if (droppedAttributes > 0) out.droppedAttributesCount = droppedAttributes;
  const eventCount = r[R_EVENT_COUNT] as number;
  if (eventCount > 0) {
    out.events = [];
    let at = R_HEAD + 2 * attributeCount;
    for (let e = 0; e < eventCount; e++) {
      const n = r[at + 4] as number;
      const event: NonNullable<OtlpSpan['events']>[number] = { timeUnixNano: nanos(r[at + 1] as number, r[at + 2] as number), name: r[at] as string, attributes: recordKeyValues(r, at + 5, n) };
      if (r[at + 3]) event.droppedAttributesCount = r[at + 3] as number;
      out.events.push(event);
      at += 5 + 2 * n;
    }
  }
  const droppedEvents = r[R_DROPPED_EVENTS] as number;
  if (droppedEvents > 0) out.droppedEventsCount = droppedEvents;
  // tagway makes no links; any an SDK user added are counted, not sent
  const droppedLinks = r[R_DROPPED_LINKS] as number;
  if (droppedLinks > 0) out.droppedLinksCount = droppedLinks;
  return out;
}

function recordKeyValues(r: SpanRecord, from: number, count: number): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = { key: r[from + 2 * i] as string, value: anyValue(r[from + 2 * i + 1] as AttributeValue) };
  return out;
}

function keyValues(attributes: Attributes): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out.push({ key, value: anyValue(value) });
  }
  return out;
}

function anyValue(value: AttributeValue | null | undefined): OtlpAnyValue {
  switch (typeof value) {
    case 'string': return { stringValue: value };
    case 'boolean': return { boolValue: value };
    case 'number':
      if (Number.isInteger(value)) return { intValue: value };
      return { doubleValue: Number.isFinite(value) ? value : String(value) };
    default:
      if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
      return {};
  }
}

/** [seconds, nanoseconds] → decimal nanoseconds since the epoch, as a string (int64 in OTLP JSON). */
function nanos(seconds: number, nanoseconds: number): string {
  return seconds === 0 ? String(nanoseconds) : `${seconds}${String(nanoseconds).padStart(9, '0')}`;
}
