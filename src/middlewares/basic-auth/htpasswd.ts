import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** The hash formats Traefik's basicAuth accepts (go-http-auth's CheckSecret). Plain text is not one. */
export type HashKind = 'bcrypt' | 'sha1' | 'md5crypt';

/** Which verifier a stored secret needs, or undefined for a format that could never match. */
export function hashKind(secret: string): HashKind | undefined {
  if (/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(secret)) return 'bcrypt';
  if (secret.startsWith('{SHA}')) return 'sha1';
  if (/^\$(apr1|1)\$[^$]{0,8}\$[./A-Za-z0-9]{22}$/.test(secret)) return 'md5crypt';
  return undefined;
}

/**
 * Checks `password` against an htpasswd secret. bcrypt runs asynchronously (bcryptjs yields between
 * rounds), so one login never blocks the event loop for its whole cost; the others answer at once.
 */
export function verifySecret(secret: string, password: string, done: (ok: boolean) => void): void {
  switch (hashKind(secret)) {
    case 'bcrypt':
      // $2y$/$2x$ are the same algorithm as $2b$ for the passwords bcryptjs handles (see crypt_blowfish 1.3).
      bcrypt.compare(password, '$2b$' + secret.slice(4)).then(done, () => done(false));
      return;
    case 'sha1':
      done(safeEqual(secret.slice(5), createHash('sha1').update(password).digest('base64')));
      return;
    case 'md5crypt': {
      const magic = secret.startsWith('$apr1$') ? '$apr1$' : '$1$';
      const salt = secret.slice(magic.length, secret.indexOf('$', magic.length));
      done(safeEqual(secret, md5Crypt(password, salt, magic)));
      return;
    }
    default:
      done(false);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * MD5-crypt (Poul-Henning Kamp's FreeBSD algorithm); with magic `$apr1$` it is Apache's htpasswd -m.
 * @example
 * md5Crypt('password', 'saltsalt', '$apr1$') // '$apr1$saltsalt$…'
 */
export function md5Crypt(password: string, salt: string, magic: string): string {
  const pw = Buffer.from(password);
  const s = Buffer.from(salt.slice(0, 8));
  let alt = createHash('md5').update(pw).update(s).update(pw).digest();
  const ctx = createHash('md5').update(pw).update(magic).update(s);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update((i & 1) !== 0 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update((i & 1) !== 0 ? pw : final);
    if (i % 3 !== 0) round.update(s);
    if (i % 7 !== 0) round.update(pw);
    round.update((i & 1) !== 0 ? final : pw);
    final = round.digest();
  }
  alt = final;
  let out = '';
  const to64 = (v: number, n: number): void => {
    for (let k = 0; k < n; k++) { out += ITOA64[v & 0x3f]; v >>>= 6; }
  };
  to64((alt[0]! << 16) | (alt[6]! << 8) | alt[12]!, 4);
  to64((alt[1]! << 16) | (alt[7]! << 8) | alt[13]!, 4);
  to64((alt[2]! << 16) | (alt[8]! << 8) | alt[14]!, 4);
  to64((alt[3]! << 16) | (alt[9]! << 8) | alt[15]!, 4);
  to64((alt[4]! << 16) | (alt[10]! << 8) | alt[5]!, 4);
  to64(alt[11]!, 2);
  return `${magic}${salt.slice(0, 8)}$${out}`;
}
