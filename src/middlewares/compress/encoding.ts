/**
 * Accept-Encoding negotiation, as Traefik's compress middleware does it (acceptencoding.go): without
 * q-values the server's order (`encodings`) wins; with q-values the client's highest weight wins,
 * `*` means the server default, and `identity;q=0` / `*;q=0` mean nothing acceptable.
 */

const IDENTITY = 'identity';
const NOT_ACCEPTABLE = 'not_acceptable';

interface Weighted { type: string; weight: number | undefined }

/**
 * Picks the encoding for a request.
 * @example
 * chooseEncoding('gzip, br', ['gzip', 'br']) // 'gzip'
 * chooseEncoding('gzip;q=0.5, br;q=1', ['gzip', 'br']) // 'br'
 */
export function chooseEncoding(acceptEncoding: string, allowed: readonly string[], known: readonly string[] = allowed): string {
  const fallback = allowed.includes('br') ? 'br' : allowed[0]!;
  const { encodings, hasWeight } = parse(acceptEncoding, known);
  if (hasWeight) {
    if (encodings.length === 0) return IDENTITY;
    for (const e of encodings) {
      if ((e.type === IDENTITY || e.type === '*') && e.weight === 0) return NOT_ACCEPTABLE;
      if (e.type === '*') return fallback;
      if (allowed.includes(e.type)) return e.type;
    }
    return NOT_ACCEPTABLE;
  }
  for (const a of allowed) if (encodings.some((e) => e.type === a)) return a;
  if (encodings.some((e) => e.type === '*')) return fallback;
  return IDENTITY;
}

function parse(header: string, known: readonly string[]): { encodings: Weighted[]; hasWeight: boolean } {
  const encodings: Weighted[] = [];
  let hasWeight = false;
  for (const item of header.replaceAll(' ', '').split(',')) {
    const semi = item.indexOf(';');
    const type = semi === -1 ? item : item.slice(0, semi);
    if (type !== IDENTITY && type !== '*' && !known.includes(type)) continue;
    let weight: number | undefined;
    const param = semi === -1 ? '' : item.slice(semi + 1);
    if (param.startsWith('q=')) {
      const w = Number.parseFloat(param.slice(2));
      weight = Number.isNaN(w) ? 0 : w;
      hasWeight = true;
    }
    encodings.push({ type, weight });
  }
  // Stable sort, heaviest first; an unweighted entry sits above q=0 and below any other weight.
  encodings.sort((a, b) => rank(b) - rank(a));
  return { encodings, hasWeight };
}

function rank(e: Weighted): number {
  if (e.weight === undefined) return 0.0000001;
  return e.weight;
}
