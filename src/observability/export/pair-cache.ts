import type { SpanValue } from '../spans/span.ts';

/** One attribute key of a PairCache: what the encoder derived from the key, and its encoded pairs. */
export interface PairKey<K, T> {
  /** The encoder's own form of the key (protobuf: the encoded `key` field). */
  readonly key: K;
  values: Map<SpanValue, T> | undefined;
  rounds: number;
  /** The last value looked up and its pair: most values repeat from one span to the next (no lookup). */
  lastValue: SpanValue | undefined;
  last: T | undefined;
}

const MAX_KEYS = 256;
const MAX_VALUES_PER_KEY = 128;
const MAX_ROUNDS = 4;

/**
 * Encoded attribute pairs (key and value) by key, then by value, for the encoders. Most attributes
 * repeat from span to span (entry point, method, addresses, ports of the keep-alive connections, user
 * agent, status): their pair is encoded once. A key whose values keep changing (paths, full URLs)
 * fills its list again and again: after MAX_ROUNDS rounds it stops being cached and `pair` answers
 * undefined (the encoder writes the value each time). Bounded: MAX_KEYS keys (later keys are never
 * cached), MAX_VALUES_PER_KEY values per key; arrays (new objects on every span) are never cached.
 *
 * @example
 * const cache = new PairCache((key) => JSON.stringify(key), (key, value) => `{"key":${key},…}`);
 * const entry = cache.key('http.request.method');
 * cache.pair(entry, 'GET') // encoded once, then found
 */
export class PairCache<K, T> {
  readonly #keys = new Map<string, PairKey<K, T>>();
  readonly #encodeKey: (key: string) => K;
  readonly #encodePair: (key: K, value: SpanValue) => T;

  constructor(encodeKey: (key: string) => K, encodePair: (key: K, value: SpanValue) => T) {
    this.#encodeKey = encodeKey;
    this.#encodePair = encodePair;
  }

  key(name: string): PairKey<K, T> {
    let entry = this.#keys.get(name);
    if (entry === undefined) {
      entry = { key: this.#encodeKey(name), values: new Map(), rounds: 0, lastValue: undefined, last: undefined };
      if (this.#keys.size < MAX_KEYS) this.#keys.set(name, entry);
      else entry.values = undefined; // beyond the bound: never cached
    }
    return entry;
  }

  /** The encoded pair, or undefined when this key's values are not cached (the caller encodes it). */
  pair(entry: PairKey<K, T>, value: SpanValue): T | undefined {
    if (entry.lastValue === value) return entry.last;
    const values = entry.values;
    if (values === undefined || typeof value === 'object') return undefined;
    let pair = values.get(value);
    if (pair === undefined) {
      if (values.size >= MAX_VALUES_PER_KEY) {
        if (++entry.rounds >= MAX_ROUNDS) { entry.values = undefined; return undefined; }
        values.clear();
      }
      pair = this.#encodePair(entry.key, value);
      values.set(value, pair);
    }
    entry.lastValue = value;
    entry.last = pair;
    return pair;
  }
}
