import { ruleHostArguments } from './compile.ts';

/**
 * Traefik v3's default router priority: the length of the rule in bytes (Go's `len`), used when a router
 * sets no priority (or 0). Since the double-wildcard host (`Host(\`**.example.com\`)`) arrived, its two
 * stars do not count (muxer.DoubleWildcardPenalty), so such a rule ranks below the single-label wildcard
 * and the exact hosts it covers. We subtract 2 per `**.` Host argument; a rule that does not parse gets
 * its plain length.
 *
 * @example
 * defaultPriority('Host(`foobar.traefik.com`)')          // 26
 * defaultPriority('HostRegexp(`[a-z]+\\.traefik\\.com`)') // 34
 * defaultPriority('Host(`**.example.com`)')              // 20
 */
export function defaultPriority(rule: string): number {
  let length = rule.length;
  for (let i = 0; i < rule.length; i++) {
    if (rule.charCodeAt(i) > 0x7f) { length = Buffer.byteLength(rule, 'utf8'); break; }
  }
  if (!rule.includes('**')) return length;
  const hosts = ruleHostArguments(rule) ?? [];
  return length - 2 * hosts.filter((h) => h.startsWith('**.')).length;
}
