// Certificates: where each came from, the names it serves, its expiry, its problems, the routers whose hosts get
// it, and whatever else the API says about it (ACME state).
import { Errors, Extra, Links, Loading, Status } from '../components.js';
import { getJson, html, usePoll } from '../lib.js';

const KNOWN = ['source', 'stores', 'domains', 'notAfter', 'status', 'error', 'subject', 'issuer'];

export function CertificatesPage() {
  const { data, error } = usePoll(async () => {
    const [certs, routers] = await Promise.all([getJson('/api/tls/certificates'), getJson('/api/tls/routers')]);
    return { certs, routers };
  }, 'certificates');
  if (!data) return html`<${Loading} error=${error} />`;
  const usedBy = (cert) => Object.entries(data.routers).filter(([, hosts]) => hosts.some((h) => h.certificate?.source === cert.source)).map(([r]) => r);
  return html`<section class="card"><h3>Certificates</h3>
    ${data.certs.length === 0 ? html`<p class="muted">No certificates in the configuration.</p>` : html`<table>
      <thead><tr><th>status</th><th>subject · issuer</th><th>names (SANs)</th><th>source</th><th>expires</th><th>stores</th><th>used by</th></tr></thead>
      <tbody>${data.certs.map((c) => html`<tr data-certificate=${c.source}><td><${Status} status=${c.status} /><${Errors} errors=${c.error} /></td>
        <td><div data-subject>${c.subject ?? '–'}</div><div class="muted" data-issuer>issued by ${c.issuer ?? '–'}</div></td>
        <td>${(c.domains ?? []).map((d) => html`<div>${d}</div>`)}</td><td><code>${c.source}</code><${Extra} value=${c} known=${KNOWN} /></td>
        <td>${c.notAfter ? html`${c.notAfter.slice(0, 10)} <span class=${daysLeft(c.notAfter) < 14 ? 'err' : 'muted'}>(${daysLeft(c.notAfter)} days)</span>` : '–'}</td>
        <td>${(c.stores ?? []).join(', ')}</td><td><${Links} kind="routers" names=${usedBy(c)} /></td></tr>`)}</tbody></table>`}
  </section>`;
}

const daysLeft = (iso) => Math.floor((Date.parse(iso) - Date.now()) / 86_400_000);
