import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import type { Page } from 'playwright-core';
import { browser } from '../support/browser.ts';
import { startUpstream } from '../support/upstream.ts';
import { startTlsGateway, testPki } from './harness.ts';

const WAIT = { timeout: 15_000 };

/** Debian's Chromium trusting the test CA's names by resolving them to 127.0.0.1 (certificate errors are fatal). */
async function browserTrusting(t: TestContext, ca: string): Promise<Page | undefined> {
  // The test CA's SPKI hash lets Chromium accept the gateway's certificate without a system trust store.
  const spki = createHash('sha256').update(new X509Certificate(ca).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  return browser(t, ['--host-resolver-rules=MAP *.test 127.0.0.1', `--ignore-certificate-errors-spki-list=${spki}`]);
}

describe('dashboard over HTTPS', () => {
  it('is served through a TLS router in Chromium, and shows which routers are TLS and which certificate each host gets', async (t) => {
    const pki = testPki(['dash.test', 'shop.test', '*.wild.test']);
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, {
      http: {
        routers: {
          dash: { rule: 'Host(`dash.test`)', service: 'dashboard@internal', tls: {} },
          dashapi: { rule: 'Host(`dash.test`) && PathPrefix(`/api`)', service: 'api@internal', tls: {} },
          shop: { rule: 'Host(`shop.test`) || Host(`other.test`)', service: 'app', tls: {} },
          plain: { rule: 'Host(`plain.test`)', service: 'app' },
        },
        services: { app: { loadBalancer: { servers: [{ url: up.url }] } } },
      },
      tls: { certificates: [{ certFile: pki.server.certPem, keyFile: pki.server.keyPem }] },
    });
    // The SPKI exemption covers certificates whose chain holds the key: pin the leaf's key too.
    const page = await browserTrusting(t, pki.server.certPem);
    if (!page) return;
    const res = await page.goto(`https://dash.test:${gw.port}/dashboard/?refresh=100#/http/routers?provider=file`);
    assert.equal(res?.status(), 200);
    // The list marks the TLS routers; a router's page says which certificate each of its hosts gets.
    await page.locator('[data-list] tr[data-name="shop@file"] .badge.tls').waitFor(WAIT);
    assert.equal(await page.locator('[data-list] tr[data-name="plain@file"] .badge.tls').count(), 0, 'a cleartext router shows no TLS');
    await page.click('[data-list] tr[data-name="shop@file"] a[href*="routers/shop"]');
    const shop = page.locator('[data-section="summary"] .tls-host[data-host="shop.test"]');
    await shop.waitFor(WAIT);
    assert.match(await shop.innerText(), /certificate dash\.test \(exact/);
    assert.match(await page.locator('[data-section="summary"] .tls-host[data-host="other.test"]').innerText(), /certificate TRAEFIK DEFAULT CERT \(default/);
    // The certificates page lists the configured one, with its names and the routers whose hosts get it.
    await page.click('[data-nav="certificates"]');
    const cert = page.locator('tr[data-certificate]', { hasText: 'dash.test' });
    await cert.waitFor(WAIT);
    assert.match(await cert.innerText(), /shop@file/);
    assert.match(await cert.locator('[data-subject]').innerText(), /CN=dash\.test/);
    assert.match(await cert.locator('[data-issuer]').innerText(), /issued by .*CN=/);
  });
});
