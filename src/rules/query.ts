/**
 * Query-string parsing for the `Query` and `QueryRegexp` matchers, following Go's `url.ParseQuery`:
 * pairs split on `&` only, a pair containing `;` is dropped, the first `=` splits key from value (no `=`
 * means an empty value), `+` is a space, and a pair with a malformed escape is dropped.
 */

export type QueryValues = ReadonlyMap<string, readonly string[]>;

const EMPTY: QueryValues = new Map();
const utf8 = new TextDecoder('utf-8');

let lastIn = '';
let lastOut: QueryValues = EMPTY;

/**
 * Parses a raw query (without `?`). Memoized for the last input, so all query matchers of one request
 * share one parse, and a request whose rules never look at the query never parses it.
 *
 * @example
 * parseQuery('a=1&b&a=x+y').get('a') // ['1', 'x y']
 */
export function parseQuery(raw: string): QueryValues {
  if (raw === lastIn) return lastOut;
  const out = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = unescapeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = unescapeComponent(eq === -1 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    const list = out.get(key);
    if (list) list.push(value); else out.set(key, [value]);
  }
  lastIn = raw;
  lastOut = out;
  return out;
}

function unescapeComponent(s: string): string | undefined {
  if (s.indexOf('%') === -1) return s.indexOf('+') === -1 ? s : s.replace(/\+/g, ' ');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (c === 0x2b) {
      bytes.push(0x20);
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  return utf8.decode(Uint8Array.from(bytes));
}
