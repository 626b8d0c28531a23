// The overview: counts by status per protocol, entry points, providers' health, span export, what needs
// attention first, and the busiest routers right now.
import { Extra, Loading } from '../components.js';
import { ago, fmt, getJson, html, link, usePoll } from '../lib.js';

const KNOWN = ['http', 'tcp', 'udp', 'features', 'providers', 'providerStatus', 'tracing', 'tracingSettings', 'reloads', 'attention'];

export function OverviewPage() {
  const { data, error } = usePoll(async () => {
    const [ov, eps, traffic] = await Promise.all([getJson('/api/overview'), getJson('/api/entrypoints?per_page=100'), getJson('/api/tagway/traffic?seconds=60&limit=5')]);
    return { ov, eps, traffic };
  }, 'overview');
  if (!data) return html`<${Loading} error=${error} />`;
  const { ov, eps, traffic } = data;
  return html`<div class="grid wide">
    <section class="card" data-section="counts">
      <h3>Routers, services, middlewares</h3>
      <table><thead><tr><th></th><th></th><th class="num">total</th><th>enabled</th><th>warning</th><th>disabled</th></tr></thead>
        <tbody>${['http', 'tcp', 'udp'].flatMap((proto) => Object.entries(ov[proto] ?? {}).map(([kind, c], i) => html`<${Count} proto=${proto} first=${i === 0} kind=${kind} c=${c} />`))}</tbody></table>
    </section>
    <section class="card" data-section="attention">
      <h3>Needs attention</h3>
      ${(ov.attention ?? []).length === 0 ? html`<p class="muted">Nothing: every item is enabled and every server is up.</p>` : html`<ul class="attention">
        ${ov.attention.map((a) => html`<li data-attention=${a.kind}>${a.kind === 'server'
          ? html`<span class="badge down">down</span> server <code>${a.url}</code> of <a href=${link('http', 'services', a.name)}>${a.name}</a>`
          : html`<span class=${`badge ${a.status}`}>${a.status}</span> ${a.kind} <a href=${link('http', `${a.kind}s`, a.name)}>${a.name}</a>${a.error && html`<div class="err">${a.error}</div>`}`}</li>`)}</ul>`}
    </section>
    <section class="card" data-section="entrypoints">
      <h3>Entry points</h3>
      <table><thead><tr><th>name</th><th>address</th><th>TLS</th><th>router defaults</th></tr></thead>
        <tbody>${eps.map((e) => html`<tr data-entrypoint=${e.name}><td><a href=${link('http', 'routers', { entryPoint: e.name })}>${e.name}</a></td>
          <td><code>${e.address}</code></td>
          <td>${e.http?.tls ? html`<span class="badge tls">TLS</span> <span class="muted">${[e.http.tls.options && `options ${e.http.tls.options}`, e.http.tls.certResolver && `resolver ${e.http.tls.certResolver}`].filter(Boolean).join(', ')}</span>` : html`<span class="muted">per router</span>`}</td>
          <td class="src">${Object.entries(e.observability ?? {}).map(([k, v]) => `${k} ${v}`).join(' · ')}</td></tr>`)}</tbody></table>
    </section>
    <section class="card" data-section="providers">
      <h3>Providers</h3>
      <table><thead><tr><th>provider</th><th>last contact</th><th>configuration</th><th>error</th></tr></thead>
        <tbody>${(ov.providerStatus ?? []).map((p) => html`<tr data-provider=${p.name}><td>${p.name}</td><td class="contact">${ago(p.lastContact)}</td>
          <td class="age">${p.configurationAt === undefined ? 'none yet' : `built ${ago(p.configurationAt)}`}</td>
          <td class="err">${p.error ?? ''}${p.error && p.errorSince ? html` <span class="src">(since ${ago(p.errorSince)})</span>` : ''}</td></tr>`)}</tbody></table>
      ${ov.reloads && html`<p class="muted">Configuration reloads: ${ov.reloads.count}${ov.reloads.lastAt ? `, last ${ago(ov.reloads.lastAt)}` : ''}</p>`}
    </section>
    <section class="card" data-section="tracing">
      <h3>Tracing export</h3>
      ${ov.tracing ? html`<div class="counts">
          <div class="count" data-export="exported"><div class="n">${ov.tracing.exported}</div><div class="muted">spans exported</div></div>
          <div class="count" data-export="dropped"><div class="n">${ov.tracing.dropped}</div><div class="muted">dropped</div></div>
          <div class="count" data-export="failed"><div class="n">${ov.tracing.failedExports}</div><div class="muted">failed exports</div></div></div>
        ${ov.tracing.lastError && html`<p class="err">${ov.tracing.lastError}</p>`}
        ${ov.tracingSettings && html`<details><summary class="muted">settings and their sources</summary><${Extra} value=${ov.tracingSettings} known=${[]} /></details>`}`
    : html`<p class="muted">Tracing is off (no <code>tracing</code> section).</p>`}
    </section>
    <section class="card" data-section="busiest">
      <h3>Busiest routers, last minute</h3>
      ${traffic.routers.length === 0 ? html`<p class="muted">No traffic in the last minute.</p>` : html`<table>
        <thead><tr><th>router</th><th class="num">req/s</th><th class="num">5xx</th><th class="num">p50</th><th class="num">p99</th></tr></thead>
        <tbody>${traffic.routers.map((r) => html`<tr><td><a href=${link('http', 'routers', r.name)}>${r.name}</a></td><td class="num">${fmt.rps(r.rps)}</td>
          <td class="num">${fmt.pct(r.errorRate)}</td><td class="num">${fmt.ms(r.p50)}</td><td class="num">${fmt.ms(r.p99)}</td></tr>`)}</tbody></table>`}
      <p><a href="#/traffic">all live traffic ›</a></p>
    </section>
    ${Object.keys(ov).some((k) => !KNOWN.includes(k)) && html`<section class="card" data-section="more"><h3>More</h3><${Extra} value=${ov} known=${KNOWN} /></section>`}
  </div>`;
}

function Count({ proto, first, kind, c }) {
  const enabled = c.total - c.warnings - c.errors;
  const to = (status) => (proto === 'http' ? link('http', kind, status ? { status } : {}) : undefined);
  const part = (status, n) => html`<td><a href=${to(status)} class=${n ? `badge ${status}` : 'muted'} data-part=${status}>${n}</a></td>`;
  return html`<tr data-count=${`${proto}.${kind}`}><td class="muted">${first ? proto.toUpperCase() : ''}</td><td>${kind}</td>
    <td class="num n"><a href=${to()}>${c.total}</a></td>${part('enabled', enabled)}${part('warning', c.warnings)}${part('disabled', c.errors)}</tr>`;
}
