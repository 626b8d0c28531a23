// A router: rule, priority, entry points, TLS, the middleware chain in order with each one's configuration, its
// service, the observability values with where each came from, its live traffic, and "explain a request".
import { useState } from 'preact/hooks';
import { Chips, Errors, Extra, Json, KV, Links, Loading, Status, TrafficChart } from '../components.js';
import { getJson, html, itemPath, link, usePoll } from '../lib.js';
import { qualify } from './list.js';

const KNOWN = ['name', 'provider', 'rule', 'priority', 'entryPoints', 'using', 'middlewares', 'service', 'tls', 'observability', 'observabilitySources',
  'status', 'error', 'ruleSyntax'];

export function RouterPage({ name }) {
  const { data: r, error } = usePoll(() => getJson(itemPath('routers', name)), name);
  if (!r) return html`<section class="card"><h2>${name}</h2><${Loading} error=${error} /></section>`;
  const service = r.service ? qualify(r.service, r.provider) : undefined;
  return html`<h2 data-router=${r.name}>Router ${r.name} <${Status} status=${r.status} /></h2>
  <div class="grid wide">
    <section class="card" data-section="summary">
      <h3>Definition</h3>
      <${Errors} errors=${r.error} />
      <${KV} rows=${[
        ['rule', html`<code data-rule>${r.rule}</code>`],
        ['priority', String(r.priority ?? 0)],
        ['entry points', html`<${Chips} items=${r.using ?? r.entryPoints} />`],
        ['provider', r.provider],
        ['service', service ? html`<a data-service href=${link('http', 'services', service)}>${r.service}</a>` : html`<span class="muted">none</span>`],
        ['TLS', r.tls ? html`<span class="badge tls">TLS</span> <${TlsHosts} name=${r.name} tls=${r.tls} />` : html`<span class="muted">no (cleartext)</span>`],
      ]} />
      <${Extra} value=${r} known=${KNOWN} />
    </section>
    <section class="card" data-section="observability">
      <h3>Observability</h3>
      ${r.provider === 'internal' ? html`<p class="muted">Internal router: not traced, logged or counted (unless addInternals).</p>` : html`<table>
        <thead><tr><th>field</th><th>value</th><th>from</th></tr></thead>
        <tbody>${['tracing', 'accessLogs', 'metrics', 'traceVerbosity'].map((k) => html`<tr data-obs=${k}><td>${k}</td>
          <td><b>${String(r.observability?.[k])}</b></td><td class="src">${r.observabilitySources?.[k] ?? 'default'}</td></tr>`)}</tbody></table>`}
    </section>
    <section class="card" data-section="middlewares">
      <h3>Middlewares, in order</h3>
      ${(r.middlewares ?? []).length === 0 ? html`<p class="muted">none</p>` : html`<div class="chain">
        ${r.middlewares.map((m, i) => html`<${MiddlewareStep} key=${m} index=${i + 1} name=${m} />`)}</div>`}
    </section>
    ${r.provider !== 'internal' && html`<section class="card" data-section="traffic"><h3>Live traffic</h3>
      <${TrafficChart} kind="routers" name=${r.name} /></section>`}
    <section class="card explain" data-section="explain">
      <h3>Explain a request</h3>
      <${Explain} router=${r} />
    </section>
  </div>`;
}

function MiddlewareStep({ index, name }) {
  const { data: m, error } = usePoll(() => getJson(itemPath('middlewares', name)), name, 10_000);
  const config = m && Object.entries(m).find(([k]) => k.toLowerCase() === String(m.type ?? '').toLowerCase());
  return html`<div class="step" data-middleware=${name}>
    <div>${index}. <a href=${link('http', 'middlewares', name)}>${name}</a> ${m && html`<span class="chip">${m.type}</span> <${Status} status=${m.status} />`}</div>
    ${error && html`<div class="err">${error.message}</div>`}
    ${m && html`<${Errors} errors=${m.error} />`}
    ${config && html`<${Json} value=${config[1]} />`}
  </div>`;
}

function TlsHosts({ name, tls }) {
  const { data } = usePoll(() => getJson('/api/tls/routers'), 'tls-routers', 10_000);
  const hosts = data?.[name] ?? [];
  return html`${tls.options && html`<span class="muted">options ${tls.options}</span>`}
    ${tls.certResolver && html` <span class="muted">resolver ${tls.certResolver}</span>`}
    ${hosts.map((h) => html`<div class="tls-host" data-host=${h.host}>${h.host} → ${h.refused ? html`<span class="err">refused: ${h.refused}</span>`
      : html`certificate <b>${h.certificate.commonName}</b> (${h.certificate.by}, ${h.certificate.source}, until ${String(h.certificate.notAfter).slice(0, 10)}), options ${h.options}`}</div>`)}`;
}

/** A first URL to try: the rule's first Host, the first PathPrefix or Path. */
function sampleUrl(r) {
  const host = /Host\(`([^`]+)`/.exec(r.rule ?? '')?.[1] ?? 'localhost';
  const path = /Path(?:Prefix)?\(`([^`]+)`/.exec(r.rule ?? '')?.[1] ?? '/';
  return `${r.tls ? 'https' : 'http'}://${host}${path.startsWith('/') ? path : '/'}`;
}

function Explain({ router }) {
  const eps = router.using ?? router.entryPoints ?? [];
  const [form, setForm] = useState({ url: sampleUrl(router), method: 'GET', headers: '', clientIp: '127.0.0.1', entryPoint: eps[0] ?? '' });
  const [answer, setAnswer] = useState();
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ url: form.url, method: form.method, clientIp: form.clientIp });
    if (form.entryPoint) q.set('entryPoint', form.entryPoint);
    for (const line of form.headers.split('\n')) if (line.includes(':')) q.append('header', line.trim());
    try { setAnswer({ result: await getJson(`/api/explain?${q}`) }); } catch (error) { setAnswer({ error }); }
  };
  return html`<form onSubmit=${submit}>
      <input class="full" name="url" value=${form.url} onInput=${set('url')} aria-label="URL" />
      <select name="method" value=${form.method} onChange=${set('method')}>${['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'].map((m) => html`<option>${m}</option>`)}</select>
      <select name="entryPoint" value=${form.entryPoint} onChange=${set('entryPoint')}>${eps.map((e) => html`<option>${e}</option>`)}</select>
      <input name="clientIp" value=${form.clientIp} onInput=${set('clientIp')} aria-label="client IP" />
      <textarea class="full" name="headers" rows="2" placeholder="Header: value (one a line)" value=${form.headers} onInput=${set('headers')}></textarea>
      <button class="primary" type="submit">Explain</button>
    </form>
    ${answer && html`<div class="result" data-explain>${answer.error ? html`<p class="err">${answer.error.message}</p>` : html`<${ExplainResult} router=${router} x=${answer.result} />`}</div>`}`;
}

function ExplainResult({ router, x }) {
  const mine = x.matched === router.name;
  return html`<p data-matched=${x.matched ?? ''}>${x.matched
    ? html`${mine ? 'This router' : html`Router <a href=${link('http', 'routers', x.matched)}>${x.matched}</a>`} takes it${mine ? '' : ' (not this one)'}.`
    : 'No router takes it: 404.'}</p>
    ${x.service && html`<p>Service <a href=${link('http', 'services', x.service.name)}>${x.service.name}</a>: next pick <code>${x.service.pick}</code></p>`}
    <p class="muted">${x.traced ? 'Traced' : 'Not traced'}: ${x.tracedBecause}</p>
    ${x.tls && html`<p class="muted">TLS: certificate ${x.tls.certificate?.commonName ?? '–'} (${x.tls.certificate?.by ?? ''}), options ${x.tls.options ?? ''}</p>`}
    <table><thead><tr><th>router tried</th><th class="num">priority</th><th>result</th></tr></thead>
      <tbody>${x.evaluated.map((e) => html`<tr data-tried=${e.router}><td>${e.router}</td><td class="num">${e.priority}</td>
        <td>${e.matched ? html`<span class="badge enabled">match</span>` : html`<span class="muted">${e.reason ?? 'no match'}</span>`}</td></tr>`)}</tbody></table>`;
}
