import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * A finished span as a flat array of primitives, read once from the SDK's span in `onEnd` and encoded
 * right away (span-queue.ts); the encoder reads slots, not the SDK's objects. Layout: the `R_*` slots,
 * then `attributeCount` key/value pairs, then `eventCount` events (name, time seconds, time nanos,
 * droppedAttributesCount, attribute count, key/value pairs).
 */
export type SpanRecord = Array<string | number | boolean | ReadonlyArray<unknown> | null>;

export const R_TRACE_ID = 0;
export const R_SPAN_ID = 1;
/** '' when the span has no parent. */
export const R_PARENT_SPAN_ID = 2;
/** '' when there is none. */
export const R_TRACE_STATE = 3;
export const R_NAME = 4;
/** The API's SpanKind (OTLP's is one more). */
export const R_KIND = 5;
export const R_START_S = 6;
export const R_START_NS = 7;
export const R_END_S = 8;
export const R_END_NS = 9;
export const R_STATUS_CODE = 10;
/** '' when there is none. */
export const R_STATUS_MESSAGE = 11;
export const R_DROPPED_ATTRIBUTES = 12;
export const R_DROPPED_EVENTS = 13;
/** Dropped links plus the links themselves (tagway sends none). */
export const R_DROPPED_LINKS = 14;
/** Index into the scope table sent with the batch. */
export const R_SCOPE = 15;
export const R_ATTRIBUTE_COUNT = 16;
export const R_EVENT_COUNT = 17;
export const R_HEAD = 18;

/** Instrumentation scopes seen by one processor, numbered in order of first appearance. */
export class ScopeTable {
  readonly list: Array<{ name: string; version?: string }> = [];
  #byKey = new Map<string, number>();
  #last: unknown;
  #lastIndex = -1;

  indexOf(scope: { name: string; version?: string }): number {
    if (scope === this.#last) return this.#lastIndex; // the SDK hands every span of a tracer the same object
    const key = `${scope.name}@${scope.version ?? ''}`;
    let index = this.#byKey.get(key);
    if (index === undefined) {
      index = this.list.length;
      this.list.push(scope.version !== undefined ? { name: scope.name, version: scope.version } : { name: scope.name });
      this.#byKey.set(key, index);
    }
    this.#last = scope;
    this.#lastIndex = index;
    return index;
  }
}

/** The record of one span (see SpanRecord); nothing of the span is retained. */
export function toRecord(span: ReadableSpan, scope: number): SpanRecord {
  const ctx = span.spanContext();
  const status = span.status;
  const events = span.events;
  const r: SpanRecord = [
    ctx.traceId, ctx.spanId, span.parentSpanContext?.spanId ?? '', ctx.traceState?.serialize() ?? '', span.name, span.kind,
    span.startTime[0], span.startTime[1], span.endTime[0], span.endTime[1], status.code, status.message ?? '',
    span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount + span.links.length, scope, 0, events.length,
  ];
  r[R_ATTRIBUTE_COUNT] = pushAttributes(r, span.attributes);
  for (const e of events) {
    r.push(e.name, e.time[0], e.time[1], e.droppedAttributesCount ?? 0, 0);
    const countAt = r.length - 1;
    r[countAt] = pushAttributes(r, e.attributes ?? {});
  }
  return r;
}

function pushAttributes(r: SpanRecord, attributes: Attributes): number {
  let n = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    r.push(key, value);
    n++;
  }
  return n;
}
