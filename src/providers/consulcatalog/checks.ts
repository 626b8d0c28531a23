/**
 * `/v1/health/state/any` kept between answers, pure. At 5,000 services the answer is ~15,000 checks (megabytes of
 * JSON), and one health flip changes one of them: parsing and signing all of them on every change costs tens of
 * milliseconds and as many megabytes of garbage. Consul encodes an answer deterministically, so two successive
 * answers share a long common prefix and suffix of bytes; only the checks between are parsed. The rest is known from
 * the previous answer, as the byte offsets of its elements (shifted for the suffix).
 *
 * Soundness: an element that lies wholly in the common prefix is the same element (same bytes, read from the same
 * start). For the suffix, the elements between are scanned in the new answer from the end of the last prefix element
 * on; the suffix is taken only when that scan lands exactly on the start of a suffix element, as a value of the top
 * array: from there on both answers are the same bytes read in the same state. Anything else (a first answer, a body
 * that is not an array, a landing inside an element) parses the answer whole.
 */
import type { HealthCheckEntry } from './instance.ts';
import { AnswerBuffer } from './answer-buffer.ts';

/** What the diff needs of one check; the rest of it (output, notes, definition) is never kept. */
export interface CheckRecord {
  /** `Node \0 CheckID`: one check. */
  readonly key: string;
  /** The service the check belongs to; '' for a node check. */
  readonly service: string;
  readonly node: string;
  /** Changes whenever the check's status or modify index does (the form `checkSignatures` signs). */
  readonly line: string;
}

/** What one answer changed: the services and the nodes (node checks) whose checks differ from the last answer's. */
export interface ChecksChange {
  readonly services: ReadonlySet<string>;
  readonly nodes: ReadonlySet<string>;
  /** Elements parsed for this answer (all of them for a first or a whole parse). */
  readonly parsed: number;
  readonly whole: boolean;
}

/** One line per check, in the form `checkSignatures` uses. */
export function checkLine(c: HealthCheckEntry): string {
  return `${c.Node ?? ''}\u0001${c.CheckID ?? ''}\u0001${c.Status ?? ''}\u0001${c.ModifyIndex ?? 0}`;
}

function record(c: HealthCheckEntry | null | undefined): CheckRecord {
  const e = c ?? {};
  return { key: `${e.Node ?? ''}\u0000${e.CheckID ?? ''}`, service: e.ServiceName ?? '', node: e.Node ?? '', line: checkLine(e) };
}

/**
 * @example
 * const checks = new ChecksState();
 * checks.update(body);                 // first answer: every check read
 * const change = checks.update(next);  // { services: Set { 'web' }, nodes: Set {}, parsed: 1, whole: false }
 * checks.serviceSignature('web');      // same string as checkSignatures(…).services.get('web')
 */
export class ChecksState {
  #body: Buffer | undefined;
  /** Byte offsets of each element of `#body` (start inclusive, end exclusive), and what it says. */
  #starts: number[] = [];
  #ends: number[] = [];
  #records: CheckRecord[] = [];
  /** service → check key → line; node → check key → line (node checks). */
  readonly #services = new Map<string, Map<string, string>>();
  readonly #nodes = new Map<string, Map<string, string>>();
  /** Two buffers answers are received into, in turn: one holds the last answer (`#body`), the other the next. */
  readonly #buffers = [new AnswerBuffer(), new AnswerBuffer()] as const;

  /**
   * Where to receive the next answer (client.ts `healthStateRaw({ into })`): memory this state does not hold, reused
   * from answer to answer, so a flip allocates no megabytes. An answer received elsewhere is taken all the same.
   */
  nextBuffer(): AnswerBuffer {
    return this.#buffers[0].holds(this.#body) ? this.#buffers[1] : this.#buffers[0];
  }

  /** Applies the raw body of the next answer (kept until the one after: not to be changed meanwhile). */
  update(body: Buffer): ChecksChange {
    const prev = this.#body;
    const spliced = prev ? this.#splice(prev, body) : undefined;
    if (spliced) return spliced;
    return this.#whole(body);
  }

  /** The signature of a service's checks (sorted lines), '' when it has none. */
  serviceSignature(name: string): string { return signature(this.#services.get(name)); }
  nodeSignature(node: string): string { return signature(this.#nodes.get(node)); }
  /** Services and nodes with at least one check (their signature is not ''). */
  services(): IterableIterator<string> { return this.#services.keys(); }
  nodes(): IterableIterator<string> { return this.#nodes.keys(); }
  /** Checks in the last answer. */
  get size(): number { return this.#records.length; }

  #whole(body: Buffer): ChecksChange {
    let list: unknown;
    try {
      list = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new Error(`/v1/health/state/any: the answer is not JSON (${(err as Error).message})`, { cause: err });
    }
    const items = Array.isArray(list) ? (list as Array<HealthCheckEntry | null>) : [];
    const bounds = Array.isArray(list) ? scanElements(body, arrayStart(body), undefined) : undefined;
    const records = items.map(record);
    const services = new Set<string>(), nodes = new Set<string>();
    for (const r of this.#records) touch(r, services, nodes);
    for (const r of records) touch(r, services, nodes);
    for (const r of this.#records) this.#remove(r);
    for (const r of records) this.#add(r);
    this.#records = records;
    // Offsets kept only when the scan agrees with the parse; otherwise the next answer is parsed whole too.
    if (bounds && bounds.starts.length === records.length) {
      this.#body = body;
      this.#starts = bounds.starts;
      this.#ends = bounds.ends;
    } else {
      this.#body = undefined;
      this.#starts = [];
      this.#ends = [];
    }
    return { services: changedOnly(services, this.#services, this.#servicesBefore), nodes: changedOnly(nodes, this.#nodes, this.#nodesBefore), parsed: records.length, whole: true };
  }

  // The signatures before a whole parse, to report only what changed (filled by #remove, read by changedOnly).
  #servicesBefore = new Map<string, string>();
  #nodesBefore = new Map<string, string>();

  #splice(prev: Buffer, next: Buffer): ChecksChange | undefined {
    const n = this.#records.length;
    const prefix = commonPrefix(prev, next);
    if (prefix === prev.length && prefix === next.length) return { services: new Set(), nodes: new Set(), parsed: 0, whole: false };
    const suffix = commonSuffix(prev, next, Math.min(prev.length, next.length) - prefix);
    const shift = next.length - prev.length;
    // a: first element not wholly in the prefix; b: first element wholly in the suffix.
    const a = firstAtLeast(this.#ends, prefix + 1);
    const b = Math.max(a, firstAtLeast(this.#starts, prev.length - suffix));
    const from = a > 0 ? this.#ends[a - 1]! : arrayStart(next);
    if (from < 0) return undefined;
    const until = b < n ? this.#starts[b]! + shift : undefined;
    const scanned = scanElements(next, from, until);
    // Most of the answer changed (or the spread below would be too long for a call): read it whole.
    if (!scanned || scanned.starts.length > MAX_SPLICED) return undefined;
    let parsed: CheckRecord[];
    try {
      parsed = scanned.starts.map((s, i) => record(JSON.parse(next.toString('utf8', s, scanned.ends[i])) as HealthCheckEntry));
    } catch {
      return undefined;
    }
    const services = new Set<string>(), nodes = new Set<string>();
    const removed = this.#records.slice(a, b);
    for (const r of removed) { touch(r, services, nodes); this.#remove(r); }
    for (const r of parsed) { touch(r, services, nodes); this.#add(r); }
    // In place: the elements between are replaced, the suffix's offsets shifted (no copy of 15,000 entries).
    this.#starts.splice(a, b - a, ...scanned.starts);
    this.#ends.splice(a, b - a, ...scanned.ends);
    this.#records.splice(a, b - a, ...parsed);
    if (shift !== 0) {
      for (let i = a + scanned.starts.length; i < this.#starts.length; i++) { this.#starts[i]! += shift; this.#ends[i]! += shift; }
    }
    this.#body = next;
    return { services: changedOnly(services, this.#services, this.#servicesBefore), nodes: changedOnly(nodes, this.#nodes, this.#nodesBefore), parsed: parsed.length, whole: false };
  }

  #add(r: CheckRecord): void {
    const [map, key, before] = r.service ? [this.#services, r.service, this.#servicesBefore] : [this.#nodes, r.node, this.#nodesBefore];
    let checks = map.get(key);
    if (!before.has(key)) before.set(key, signature(checks));
    if (!checks) map.set(key, (checks = new Map()));
    checks.set(r.key, r.line);
  }

  #remove(r: CheckRecord): void {
    const [map, key, before] = r.service ? [this.#services, r.service, this.#servicesBefore] : [this.#nodes, r.node, this.#nodesBefore];
    const checks = map.get(key);
    if (!checks) return;
    if (!before.has(key)) before.set(key, signature(checks));
    checks.delete(r.key);
    if (checks.size === 0) map.delete(key);
  }
}

function touch(r: CheckRecord, services: Set<string>, nodes: Set<string>): void {
  if (r.service) services.add(r.service); else nodes.add(r.node);
}

/** Of the names touched, those whose signature now differs from before (a check replaced by an equal one is no change). */
function changedOnly(touched: Set<string>, now: Map<string, Map<string, string>>, before: Map<string, string>): Set<string> {
  const out = new Set<string>();
  for (const name of touched) {
    if (signature(now.get(name)) !== (before.get(name) ?? '')) out.add(name);
  }
  before.clear();
  return out;
}

function signature(checks: Map<string, string> | undefined): string {
  if (!checks || checks.size === 0) return '';
  return [...checks.values()].sort().join('\n');
}

/** Index of the first value >= x in an ascending list (its length when none). */
function firstAtLeast(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** More elements than this between the common prefix and suffix: the answer is parsed whole. */
const MAX_SPLICED = 4096;

/** Chunk sizes compared at once (native memcmp), largest first. */
const STEPS = [65_536, 4096, 256, 16];

/** Length of the common prefix of two buffers (memcmp by shrinking chunks, then byte by byte). */
export function commonPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  for (const step of STEPS) while (i + step <= n && a.compare(b, i, i + step, i, i + step) === 0) i += step;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Length of the common suffix of two buffers, at most `max`. */
export function commonSuffix(a: Buffer, b: Buffer, max: number): number {
  let k = 0;
  for (const step of STEPS) {
    while (k + step <= max && a.compare(b, b.length - k - step, b.length - k, a.length - k - step, a.length - k) === 0) k += step;
  }
  while (k < max && a[a.length - 1 - k] === b[b.length - 1 - k]) k++;
  return k;
}

const OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d, OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;

/** Offset just after the top-level '[', or -1 when the body is not an array. */
function arrayStart(body: Buffer): number {
  let i = 0;
  while (i < body.length && isSpace(body[i]!)) i++;
  return body[i] === OPEN_BRACKET ? i + 1 : -1;
}

function isSpace(c: number): boolean { return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; }

/**
 * The elements of the top array from `from` (just after '[' or after an element): their [start, end) offsets, until
 * the array closes (`until` undefined) or until the next element would start exactly at `until`. Undefined when the
 * bytes do not land there (the caller parses the answer whole).
 */
function scanElements(body: Buffer, from: number, until: number | undefined): { starts: number[]; ends: number[] } | undefined {
  const starts: number[] = [], ends: number[] = [];
  let i = from;
  if (i < 0) return undefined;
  for (;;) {
    while (i < body.length && (isSpace(body[i]!) || body[i] === COMMA)) i++;
    if (until !== undefined) {
      if (i === until) return { starts, ends };
      if (i > until) return undefined;
    }
    if (i >= body.length) return undefined;
    if (body[i] === CLOSE_BRACKET) return until === undefined ? { starts, ends } : undefined;
    const end = valueEnd(body, i);
    if (end < 0) return undefined;
    starts.push(i);
    ends.push(end);
    i = end;
  }
}

/** End (exclusive) of the JSON value starting at `i` (an object, array, string or scalar), or -1. */
function valueEnd(body: Buffer, i: number): number {
  const c = body[i];
  if (c === QUOTE) return stringEnd(body, i);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
    // a scalar (null, a number, true, false): up to the next separator
    let j = i;
    while (j < body.length && body[j] !== COMMA && body[j] !== CLOSE_BRACKET && body[j] !== CLOSE_BRACE && !isSpace(body[j]!)) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < body.length; j++) {
    const d = body[j];
    if (d === QUOTE) { j = stringEnd(body, j) - 1; if (j < 0) return -1; continue; }
    if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
    else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) { depth--; if (depth === 0) return j + 1; }
  }
  return -1;
}

/** End (exclusive) of the string whose opening quote is at `i`, or -1. */
function stringEnd(body: Buffer, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = body.indexOf(QUOTE, j);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > i && body[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}
