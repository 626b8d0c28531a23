import type { Handler } from '../../http/context.ts';
import { respond } from '../../http/context.ts';
import type { HandshakeOptions } from '../../server/entrypoint.ts';

/** RFC 8737 §3: the ALPN protocol a TLS-ALPN-01 validation offers, alone. */
export const ACME_TLS_ALPN = 'acme-tls/1';
/** RFC 8555 §8.3. */
export const HTTP01_PREFIX = '/.well-known/acme-challenge/';

/**
 * The challenge answers a gateway presents: HTTP-01 key authorizations by token and domain (Traefik's
 * ChallengeHTTP) and TLS-ALPN-01 certificates by domain (ChallengeTLSALPN). Answers come from this node's orders
 * and, in shared mode, from Consul KV (so whichever node the CA reaches answers), each under its source.
 */
export class ChallengeBoard {
  readonly #http = new Map<string, { keyAuthorization: string; source: string }>();
  readonly #tls = new Map<string, { handshake: HandshakeOptions; source: string }>();

  setHttp(token: string, domain: string, keyAuthorization: string, source = 'local'): void {
    this.#http.set(`${token}\u0000${domain.toLowerCase()}`, { keyAuthorization, source });
  }

  deleteHttp(token: string, domain: string): void { this.#http.delete(`${token}\u0000${domain.toLowerCase()}`); }

  httpAnswer(token: string, domain: string): string | undefined {
    return this.#http.get(`${token}\u0000${domain.toLowerCase()}`)?.keyAuthorization;
  }

  setTls(domain: string, certPem: string, keyPem: string, source = 'local'): void {
    this.#tls.set(domain.toLowerCase(), {
      source,
      handshake: {
        name: 'acme-tls-alpn', requireCert: false, verifyCert: false,
        server: { cert: certPem, key: keyPem, ALPNProtocols: [ACME_TLS_ALPN], minVersion: 'TLSv1.2' },
      },
    });
  }

  deleteTls(domain: string): void { this.#tls.delete(domain.toLowerCase()); }

  /** The handshake answering a TLS-ALPN-01 validation for `serverName`, if a challenge is pending for it. */
  tlsHandshake(serverName: string): HandshakeOptions | undefined { return this.#tls.get(serverName.toLowerCase())?.handshake; }

  /**
   * Replaces every answer of `source` (a shared store's snapshot): HTTP-01 as [token, domain, keyAuthorization],
   * TLS-ALPN-01 as [domain, certPem, keyPem]. Unchanged TLS answers keep their handshake object (and so the
   * entry point's TLS server made for it).
   */
  replace(source: string, http: ReadonlyArray<[string, string, string]>, tls: ReadonlyArray<[string, string, string]>): void {
    for (const [k, v] of this.#http) if (v.source === source) this.#http.delete(k);
    for (const [token, domain, keyAuthorization] of http) this.setHttp(token, domain, keyAuthorization, source);
    const keep = new Set(tls.map(([d]) => d.toLowerCase()));
    for (const [k, v] of this.#tls) if (v.source === source && !keep.has(k)) this.#tls.delete(k);
    for (const [domain, certPem, keyPem] of tls) {
      const have = this.#tls.get(domain.toLowerCase());
      if (have?.source === source && have.handshake.server.cert === certPem) continue;
      this.setTls(domain, certPem, keyPem, source);
    }
  }
}

/**
 * The `acme-http@internal` service: answers `/.well-known/acme-challenge/<token>` with the key authorization
 * presented for that token and the request's host, 404 otherwise (Traefik's ChallengeHTTP.ServeHTTP).
 */
export function acmeHttpHandler(board: ChallengeBoard): Handler {
  const path = /^\/\.well-known\/acme-challenge\/([^/]+)\/?$/;
  return function acmeHttpChallenge(ctx) {
    const token = path.exec(ctx.path)?.[1];
    const answer = token ? board.httpAnswer(token, ctx.host) : undefined;
    if (answer === undefined) { respond(ctx, 404, '404 page not found\n'); return; }
    respond(ctx, 200, answer, { 'content-type': 'application/octet-stream' });
  };
}
