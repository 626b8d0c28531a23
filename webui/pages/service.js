// A service: its servers with health and weights, sticky cookie, health check (state, last error), the transport,
// who uses it, its live traffic. Services of other types (weighted, mirroring, failover) show their configuration.
import { Errors, Extra, Json, KV, Links, Loading, Status, TrafficChart } from '../components.js';
import { ago, getJson, html, itemPath, usePoll } from '../lib.js';

const KNOWN = ['name', 'provider', 'type', 'status', 'error', 'usedBy', 'serverStatus', 'loadBalancer', 'serverHealth'];

export function ServicePage({ name }) {
  const { data: s, error } = usePoll(() => getJson(itemPath('services', name)), name);
  if (!s) return html`<section class="card"><h2>${name}</h2><${Loading} error=${error} /></section>`;
  const lb = s.loadBalancer;
  return html`<h2 data-service=${s.name}>Service ${s.name} <${Status} status=${s.status} /></h2>
  <div class="grid wide">
    <section class="card" data-section="summary">
      <h3>Definition</h3>
      <${Errors} errors=${s.error} />
      <${KV} rows=${[
        ['type', s.type ?? ''],
        ['provider', s.provider],
        ['used by', (s.usedBy ?? []).length ? html`<${Links} kind="routers" names=${s.usedBy} />` : html`<span class="muted">no router</span>`],
        lb && ['strategy', lb.strategy ?? 'wrr'],
        lb && ['pass Host header', String(lb.passHostHeader ?? true)],
        lb && ['sticky cookie', lb.sticky?.cookie ? html`<span data-sticky>${stickyText(lb.sticky.cookie)}</span>` : html`<span class="muted">off</span>`],
        lb && ['transport', html`<span data-transport>${lb.serversTransport ?? 'default'}</span>${lb.responseForwarding?.flushInterval ? html` <span class="muted">· flush every ${lb.responseForwarding.flushInterval}</span>` : ''}`],
      ]} />
      <${Extra} value=${s} known=${KNOWN} />
    </section>
    ${lb && html`<section class="card" data-section="servers">
      <h3>Servers</h3>
      <table><thead><tr><th>URL</th><th class="num">weight</th><th>status</th><th>last check</th></tr></thead>
        <tbody>${(lb.servers ?? []).map((sv) => {
          const st = s.serverStatus?.[sv.url];
          const health = s.serverHealth?.[sv.url];
          return html`<tr data-server=${sv.url}><td><code>${sv.url}</code></td><td class="num">${sv.weight ?? 1}</td>
            <td>${st ? html`<span class=${`badge ${st === 'UP' ? 'up' : 'down'}`}>${st}</span>` : html`<span class="muted">–</span>`}</td>
            <td>${health ? html`${health.checkedAt ? ago(health.checkedAt) : 'not yet'}${health.lastError ? html`<div class="err" data-last-error>${health.lastError}${health.errorAt ? ` (${ago(health.errorAt)})` : ''}</div>` : ''}` : html`<span class="muted">${lb.healthCheck ? 'not yet' : 'no health check'}</span>`}</td></tr>`;
        })}</tbody></table>
    </section>`}
    ${lb && html`<section class="card" data-section="healthcheck">
      <h3>Health check</h3>
      ${lb.healthCheck ? html`<${Json} value=${lb.healthCheck} />` : html`<p class="muted">none: servers stay UP</p>`}
    </section>`}
    ${!lb && html`<section class="card"><h3>Configuration</h3><${Json} value=${Object.fromEntries(Object.entries(s).filter(([k]) => !KNOWN.includes(k)))} /></section>`}
    <section class="card" data-section="traffic"><h3>Live traffic</h3><${TrafficChart} kind="services" name=${s.name} /></section>
  </div>`;
}

function stickyText(c) {
  return [`name ${c.name ?? '(derived)'}`, c.secure && 'secure', c.httpOnly && 'httpOnly', c.sameSite && `sameSite ${c.sameSite}`, c.maxAge && `maxAge ${c.maxAge}`, c.path && `path ${c.path}`]
    .filter(Boolean).join(' · ');
}
