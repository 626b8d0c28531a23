import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DigestAuth } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { headerValue } from '../shared/options.ts';
import { refuser } from '../shared/refuse.ts';
import type { Wrapper } from '../shared/types.ts';

const DEFAULT_REALM = 'traefik';
/** go-http-auth's client cache: 1000 nonces, purged by 200 (twice the tolerance) of the least recently seen. */
const CLIENT_CACHE_SIZE = 1000;
const CLIENT_CACHE_TOLERANCE = 100;

/**
 * digestAuth: HTTP Digest authentication (RFC 2617, MD5, qop=auth) against htdigest entries `user:realm:HA1`
 * (`users`, then `usersFile`; an inline user overrides the file's), as Traefik does with abbot/go-http-auth: the
 * 401 challenge carries a fresh server nonce and the instance's opaque; an answer must use a nonce this instance
 * issued, with a nonce count above the last one seen for it (else 401 with `stale=true`). Only users of the
 * configured `realm` (default "traefik") can log in. On success `headerField` carries the user name and
 * `removeHeader` drops Authorization. Nonces live in memory, per instance (a reload of a changed definition asks again).
 * @example
 * digestAuth({ users: ['test:traefik:a2688e031edb4be6a3797f3882655c05'] }) // user "test", password "test"
 */
export function digestAuth(cfg: DigestAuth): Wrapper {
  const users = new Map<string, string>();
  if (cfg.usersFile) {
    let text: string;
    try { text = readFileSync(cfg.usersFile, 'utf8'); } catch (err) {
      throw optionError('digestAuth.usersFile', `cannot read ${JSON.stringify(cfg.usersFile)}: ${(err as Error).message}`, err);
    }
    text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
      .forEach((line, i) => addUser(users, line, `digestAuth.usersFile line ${i + 1}`));
  }
  (cfg.users ?? []).forEach((entry, i) => addUser(users, entry, `digestAuth.users[${i}]`));
  const realm = cfg.realm || DEFAULT_REALM;
  const opaque = randomKey();
  const headerField = cfg.headerField?.toLowerCase() ?? '';
  const removeHeader = cfg.removeHeader ?? false;
  /** nonce → last nonce count seen (0: none yet) and when. */
  const clients = new Map<string, { nc: bigint; lastSeen: number }>();

  function challenge(ctx: RequestContext, stale: boolean): void {
    if (clients.size > CLIENT_CACHE_SIZE + CLIENT_CACHE_TOLERANCE) {
      const oldest = [...clients].sort((a, b) => a[1].lastSeen - b[1].lastSeen).slice(0, CLIENT_CACHE_TOLERANCE * 2);
      for (const [nonce] of oldest) clients.delete(nonce);
    }
    const nonce = randomKey();
    clients.set(nonce, { nc: 0n, lastSeen: Date.now() });
    const reason = stale ? 'Digest authentication failed, possibly because out of order requests' : 'Digest authentication failed';
    refuser(ctx)(reason);
    respond(ctx, 401, '401 Unauthorized\n', {
      'content-type': 'text/plain',
      'www-authenticate': `Digest realm="${realm}", nonce="${nonce}", opaque="${opaque}", algorithm="MD5", qop="auth"${stale ? ', stale=true' : ''}`,
    });
  }

  /** go-http-auth's CheckAuth: the user name, 'stale', or undefined. */
  function check(ctx: RequestContext): string | 'stale' | undefined {
    const auth = digestParams(headerValue(ctx.headers, 'authorization'));
    if (!auth) return undefined;
    const algorithm = auth.get('algorithm') ?? 'MD5';
    if (opaque !== (auth.get('opaque') ?? '') || algorithm !== 'MD5' || auth.get('qop') !== 'auth') return undefined;
    const uri = auth.get('uri') ?? '';
    const requestUri = ctx.req.url ?? '';
    if (requestUri !== uri) {
      // go-http-auth also takes a `uri` that is a path prefix of the request's path.
      let path: string;
      try { path = new URL(uri, 'http://x').pathname; } catch { return undefined; }
      if (!uri.startsWith('/') || path.length > ctx.path.length || !ctx.path.startsWith(path)) return undefined;
    }
    const user = auth.get('username') ?? '';
    const ha1 = users.get(`${user}:${realm}`) ?? '';
    const ha2 = md5(`${ctx.method}:${uri}`);
    const kd = md5([ha1, auth.get('nonce') ?? '', auth.get('nc') ?? '', auth.get('cnonce') ?? '', 'auth', ha2].join(':'));
    const given = Buffer.from(auth.get('response') ?? '');
    if (ha1 === '' || given.length !== kd.length || !timingSafeEqual(given, Buffer.from(kd))) return undefined;
    const ncText = auth.get('nc') ?? '';
    if (!/^[0-9a-fA-F]{1,16}$/.test(ncText)) return undefined;
    const nc = BigInt(`0x${ncText}`);
    const client = clients.get(auth.get('nonce') ?? '');
    if (!client) return undefined;
    if (client.nc !== 0n && client.nc >= nc) return 'stale';
    client.nc = nc;
    client.lastSeen = Date.now();
    return user;
  }

  return {
    wrap(next: Handler): Handler {
      return function digestAuthHandler(ctx: RequestContext) {
        const user = check(ctx);
        if (user === undefined || user === 'stale') {
          const named = digestParams(headerValue(ctx.headers, headerField || 'authorization'))?.get('username');
          if (named) ctx.user = named;
          challenge(ctx, user === 'stale');
          return;
        }
        ctx.user = user;
        if (headerField !== '') ctx.headers[headerField] = user;
        if (removeHeader) delete ctx.headers.authorization;
        next(ctx);
      };
    },
    close() { clients.clear(); },
  };
}

function addUser(users: Map<string, string>, entry: string, option: string): void {
  const parts = entry.split(':');
  if (parts.length !== 3) throw optionError(option, `error parsing DigestUser: expected "user:realm:hash" (htdigest), got ${parts.length} part(s)`);
  users.set(`${parts[0]}:${parts[1]}`, parts[2]!);
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

function randomKey(): string {
  return randomBytes(12).toString('base64').replace(/=+$/, '');
}

/** go-http-auth's DigestAuthParams: `Digest ` (exactly) then comma-separated key=value pairs, quotes removed. */
export function digestParams(header: string): Map<string, string> | undefined {
  const space = header.indexOf(' ');
  if (space === -1 || header.slice(0, space) !== 'Digest') return undefined;
  const out = new Map<string, string>();
  for (const item of splitList(header.slice(space + 1))) {
    const eq = item.indexOf('=');
    if (eq === -1) continue;
    let v = item.slice(eq + 1);
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.set(item.slice(0, eq), v);
  }
  return out;
}

/** Go's parseList: commas split the list except inside quoted strings (backslash escapes kept out). */
function splitList(s: string): string[] {
  const items: string[] = [];
  let cur = '';
  let quoted = false, escaped = false;
  for (const c of s) {
    if (escaped) { cur += c; escaped = false; continue; }
    if (quoted && c === '\\') { escaped = true; continue; }
    if (c === '"') { quoted = !quoted; cur += c; continue; }
    if (c === ',' && !quoted) { items.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  if (cur.trim() !== '') items.push(cur.trim());
  return items;
}
