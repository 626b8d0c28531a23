/**
 * Accept-Encoding negotiation, as Traefik v3.7's compress middleware does it (acceptencoding.go): an empty
 * field means identity; entries the server does not know are ignored, an entry without a q-value weighs 1 and
 * one with q=0 is dropped; the heaviest wins, ties going to the configured order (`*` before every encoding,
 * `identity` after). `*` means the default encoding (`defaultEncoding`, else the first configured one).
 */

export const IDENTITY = 'identity';
export const NOT_ACCEPTABLE = 'not_acceptable';
const WILDCARD = '*';

interface Weighted { type: string; weight: number; priority: number }

/**
 * Picks the encoding for a request's Accept-Encoding lines (`identity`, `not_acceptable` or one of `encodings`).
 * @example
 * chooseEncoding(['gzip, br'], ['gzip', 'br']) // 'gzip'
 * chooseEncoding(['gzip;q=0.5, br;q=1'], ['gzip', 'br']) // 'br'
 */
export function chooseEncoding(acceptEncoding: readonly string[], encodings: readonly string[], defaultEncoding = ''): string {
  // RFC 9110 §12.5.3: an empty field value means no content coding is wanted.
  if (acceptEncoding.length === 1 && acceptEncoding[0] === '') return IDENTITY;
  const priority = (type: string): number | undefined =>
    type === WILDCARD ? -1 : type === IDENTITY ? encodings.length : encodings.includes(type) ? encodings.indexOf(type) : undefined;
  const acceptable: Weighted[] = [];
  for (const line of acceptEncoding) {
    for (const item of line.replaceAll(' ', '').split(',')) {
      const semi = item.indexOf(';');
      const type = semi === -1 ? item : item.slice(0, semi);
      const p = priority(type);
      if (p === undefined) continue;
      let weight = 1;
      const param = semi === -1 ? '' : item.slice(semi + 1);
      if (param.startsWith('q=')) {
        const w = Number.parseFloat(param.slice(2));
        weight = Number.isNaN(w) ? 0 : w;
        if (weight === 0) continue;
      }
      acceptable.push({ type, weight, priority: p });
    }
  }
  if (acceptable.length === 0) return NOT_ACCEPTABLE;
  acceptable.sort((a, b) => (a.weight === b.weight ? a.priority - b.priority : b.weight - a.weight));
  const best = acceptable[0]!.type;
  if (best === WILDCARD) return defaultEncoding || encodings[0]!;
  return best;
}

/**
 * Whether the gzip writer Traefik uses (klauspost gzhttp) agrees to compress: it reads the first
 * Accept-Encoding line only and wants `gzip` listed there with a non-zero weight (`*` is not enough).
 */
export function acceptsGzip(acceptEncoding: readonly string[]): boolean {
  for (const item of (acceptEncoding[0] ?? '').split(',')) {
    const [type = '', ...params] = item.split(';').map((s) => s.trim());
    if (type.toLowerCase() !== 'gzip') continue;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number.parseFloat(q.slice(2)) > 0;
  }
  return false;
}
