import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { ClientTLS } from '../../dynamic/types.ts';
import { optionError } from '../shared/errors.ts';

/**
 * Traefik's ClientTLS.CreateTLSConfig for the auth server: `ca`, `cert` and `key` are PEM contents or file
 * paths; a cert needs its key; `insecureSkipVerify` turns verification off. Files are read once, at build.
 */
export function clientTls(tls: ClientTLS | undefined): ConnectionOptions {
  if (!tls) return {};
  const out: ConnectionOptions = {};
  if (tls.ca) out.ca = pem(tls.ca, 'forwardAuth.tls.ca');
  if ((tls.cert ?? '') !== '' || (tls.key ?? '') !== '') {
    if (!tls.cert || !tls.key) throw optionError('forwardAuth.tls', 'cert and key go together (one of them is missing)');
    out.cert = pem(tls.cert, 'forwardAuth.tls.cert');
    out.key = pem(tls.key, 'forwardAuth.tls.key');
  }
  if (tls.insecureSkipVerify) out.rejectUnauthorized = false;
  return out;
}

function pem(value: string, option: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw optionError(option, `cannot read ${JSON.stringify(value)}: ${(err as Error).message}`, err);
  }
}
