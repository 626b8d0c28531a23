import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BasicAuth } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { headerValue } from '../shared/options.ts';
import type { Wrapper } from '../shared/types.ts';
import { hashKind, verifySecret } from './htpasswd.ts';
import { refuser } from '../shared/refuse.ts';

/** Verified bcrypt logins kept per instance, so a client's every request does not pay bcrypt's cost. */
const CACHE_SIZE = 256;
const DEFAULT_REALM = 'traefik';

/**
 * basicAuth: HTTP Basic authentication against htpasswd entries (`users`, then `usersFile`; an inline user
 * overrides the file). Hashes: bcrypt (`$2y$`, `$2a$`, `$2b$`), Apache MD5 (`$apr1$`, also `$1$`), SHA1
 * (`{SHA}`). A failure answers 401 with `WWW-Authenticate: Basic realm="<realm>"` (default "traefik").
 * On success the user name is forwarded in `headerField` when set, and `removeHeader` drops Authorization.
 * An unknown user is checked against a stand-in secret (one hash's time, as Traefik), so timing does not tell
 * which users exist.
 * An entry whose hash Traefik could never match is refused at build time rather than locking users out.
 * @example
 * basicAuth({ users: ['test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/'], realm: 'admin' })
 */
export function basicAuth(cfg: BasicAuth): Wrapper {
  const users = new Map<string, string>();
  if (cfg.usersFile) {
    let text: string;
    try { text = readFileSync(cfg.usersFile, 'utf8'); } catch (err) {
      throw optionError('basicAuth.usersFile', `cannot read ${JSON.stringify(cfg.usersFile)}: ${(err as Error).message}`, err);
    }
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    lines.forEach((line, i) => addUser(users, line, `basicAuth.usersFile line ${i + 1}`));
  }
  (cfg.users ?? []).forEach((entry, i) => addUser(users, entry, `basicAuth.users[${i}]`));
  if (users.size === 0) throw optionError('basicAuth.users', 'no user defined (set users or usersFile)');
  const realm = cfg.realm || DEFAULT_REALM;
  const challenge = `Basic realm=${JSON.stringify(realm)}`;
  const headerField = cfg.headerField?.toLowerCase() ?? '';
  const removeHeader = cfg.removeHeader ?? false;
  const verified = new Map<string, true>();
  // An unknown user costs one hash too, against a stand-in secret, so timing does not tell which users exist
  // (Traefik's notFoundSecret: the first user's secret).
  const notFoundSecret = users.values().next().value!;

  function check(user: string, password: string, done: (ok: boolean) => void): void {
    const secret = users.get(user);
    if (secret === undefined) { verifySecret(notFoundSecret, password, function unknownUser() { done(false); }); return; }
    if (hashKind(secret) !== 'bcrypt') { verifySecret(secret, password, done); return; }
    const key = createHash('sha256').update(user).update('\0').update(password).digest('base64');
    if (verified.has(key)) {
      verified.delete(key);
      verified.set(key, true);
      done(true);
      return;
    }
    verifySecret(secret, password, function remember(ok) {
      if (ok) {
        verified.set(key, true);
        if (verified.size > CACHE_SIZE) verified.delete(verified.keys().next().value!);
      }
      done(ok);
    });
  }

  return {
    wrap(next: Handler): Handler {
      return function basicAuthHandler(ctx: RequestContext) {
        const refuse = refuser(ctx);
        const creds = parseBasic(headerValue(ctx.headers, 'authorization'));
        if (!creds) { deny(ctx, refuse, challenge); return; }
        check(creds.user, creds.password, function authenticated(ok) {
          if (ctx.res.destroyed || ctx.res.headersSent) return;
          if (!ok) { deny(ctx, refuse, challenge); return; }
          if (headerField !== '') ctx.headers[headerField] = creds.user;
          if (removeHeader) delete ctx.headers.authorization;
          next(ctx);
        });
      };
    },
    close() { verified.clear(); },
  };
}

function addUser(users: Map<string, string>, entry: string, option: string): void {
  const parts = entry.split(':');
  if (parts.length !== 2 || parts[0] === '') throw optionError(option, 'expected "user:hash"');
  const [user, secret] = parts as [string, string];
  if (hashKind(secret) === undefined) {
    throw optionError(option, `unsupported hash for user ${JSON.stringify(user)}: use bcrypt ($2y$), MD5 ($apr1$) or SHA1 ({SHA}), e.g. from htpasswd -nbB`);
  }
  users.set(user, secret);
}

function deny(ctx: RequestContext, refuse: (reason: string) => void, challenge: string): void {
  refuse('Authentication failed');
  respond(ctx, 401, '401 Unauthorized\n', { 'www-authenticate': challenge });
}

/** Go's Request.BasicAuth: "Basic " (any case) + base64 of "user:password". */
function parseBasic(header: string): { user: string; password: string } | undefined {
  if (header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const encoded = header.slice(6);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
