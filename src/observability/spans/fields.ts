import type { RecordedSpan, SpanValue } from './span.ts';

/*
 * The standard attributes of the SERVER span (server-span.ts) and of a CLIENT span (client-span.ts), by position: what
 * the span layers read, what RecordedSpans get (applyFields) and what compact traces keep (compact.ts).
 */

/**
 * The attributes of the SERVER span (Traefik's entry-point layer), in the order they are written: read when a
 * sampled request arrives (`serverValues`), except `http.response.status_code`, set when it ends (SERVER_STATUS).
 */
export const SERVER_KEYS = [
  'entry_point', 'http.request.method', 'network.protocol.version', 'url.path', 'url.query', 'url.scheme', 'server.address',
  'client.address', 'client.port', 'network.peer.address', 'network.peer.port', 'user_agent.original', 'http.request.body.size',
  'http.response.status_code',
] as const;
/** Which of SERVER_KEYS hold numbers (the others hold strings). */
export const SERVER_NUMERIC: readonly boolean[] = SERVER_KEYS.map((k) => k.endsWith('.port') || k.endsWith('.size') || k.endsWith('status_code'));
/** Index of url.path and of the status code in a server span's values. */
export const SERVER_PATH = 3;
export const SERVER_STATUS = 13;

/**
 * The attributes of a CLIENT span (an upstream attempt, Traefik's ReverseProxy), in the order they are written:
 * known when the attempt starts (`clientValues`), except `http.response.status_code` (CLIENT_STATUS), set when the
 * upstream answers.
 */
export const CLIENT_KEYS = [
  'http.request.method', 'network.protocol.version', 'url.full', 'url.scheme', 'server.address', 'server.port',
  'network.peer.address', 'network.peer.port', 'user_agent.original', 'http.request.resend_count', 'http.response.status_code',
] as const;
/** Which of CLIENT_KEYS hold numbers (the others hold strings). */
export const CLIENT_NUMERIC: readonly boolean[] = CLIENT_KEYS.map((k) => k.endsWith('.port') || k.endsWith('_count') || k.endsWith('status_code'));
export const CLIENT_STATUS = 10;

/** A span's standard attributes by position (SERVER_KEYS, CLIENT_KEYS); undefined: not set. */
export type FieldValues = Array<string | number | undefined>;

/** Sets each value given, in order, on `span` (what the general path records, and what compact.ts turns into RecordedSpans). */
export function applyFields(span: RecordedSpan, keys: readonly string[], values: FieldValues): void {
  for (let i = 0; i < keys.length; i++) {
    const value = values[i];
    if (value !== undefined) span.set(keys[i]!, value as SpanValue);
  }
}
