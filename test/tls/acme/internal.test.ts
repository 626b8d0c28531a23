import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { internalMessage } from '../../../src/providers/internal.ts';
import { loadStaticConfig } from '../../../src/static/load.ts';

describe('ACME internal routers (Traefik\'s internal provider)', () => {
  it('acme-http answers HTTP-01 above every router on the challenge entry point; with allowACMEByPass it is acme-http-bypass at the default priority and the redirection lets challenges through', () => {
    const config = loadStaticConfig({
      argv: [
        '--entryPoints.web.address=:80', '--entryPoints.websecure.address=:443', '--entryPoints.alt.address=:81', '--entryPoints.alt.allowACMEByPass=true',
        '--entryPoints.alt.http.redirections.entryPoint.to=websecure',
        '--certificatesResolvers.a.acme.httpChallenge.entryPoint=web', '--certificatesResolvers.b.acme.httpChallenge.entryPoint=web',
        '--certificatesResolvers.c.acme.httpChallenge.entryPoint=alt',
      ],
      env: {},
    });
    const { routers, services } = internalMessage(config).configuration.http;
    assert.deepEqual(routers['acme-http'], { rule: 'PathPrefix(`/.well-known/acme-challenge/`)', ruleSyntax: 'default', entryPoints: ['web'], service: 'acme-http@internal', priority: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(routers['acme-http-bypass'], { rule: 'PathPrefix(`/.well-known/acme-challenge/`)', entryPoints: ['alt'], service: 'acme-http@internal' });
    assert.equal(routers['alt-to-websecure']!.rule, 'HostRegexp(`^.+$`) && !PathPrefix(`/.well-known/acme-challenge/`)');
    assert.deepEqual(services['acme-http'], {});
  });
});
