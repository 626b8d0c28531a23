/**
 * The dashboard: one static page (no front-end build) served by the admin entry point at
 * /dashboard/. It polls the API every two seconds (`?refresh=ms` to change; `?perPage=n` sets the page size it
 * reads the paginated lists with) and redraws: entry points, routers (rule, service,
 * status, errors, effective observability with the source of each value), services with servers and
 * health, the providers (last contact, configuration age, errors) and the recent traces, each opening
 * into a waterfall of its spans.
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tagway dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { font-family: system-ui, sans-serif; font-size: 14px; color: #1d2330; background: #f6f7f9; }
  body { margin: 0; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header small { opacity: .7; }
  main { padding: 16px 20px; display: grid; gap: 16px; }
  section { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.08); padding: 12px 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; }
  th { font-weight: 600; color: #5a6275; font-size: 12px; text-transform: uppercase; }
  code { font-size: 12px; background: #f0f2f5; padding: 1px 4px; border-radius: 3px; }
  .status-enabled { color: #17803d; } .status-warning { color: #b56a00; } .status-disabled { color: #c62828; }
  .err { color: #c62828; font-size: 12px; }
  .src { color: #8a91a2; font-size: 11px; }
  .up { color: #17803d; } .down { color: #c62828; }
  .trace-row { cursor: pointer; } .trace-row:hover { background: #f3f6ff; }
  .waterfall { margin-top: 8px; }
  .span { display: grid; grid-template-columns: 260px 1fr; align-items: center; gap: 8px; font-size: 12px; }
  .bar-wrap { position: relative; height: 14px; background: #f0f2f5; border-radius: 2px; }
  .bar { position: absolute; top: 0; height: 14px; background: #4c7cf0; border-radius: 2px; min-width: 2px; }
  .bar.error { background: #e25555; }
  #updated { font-size: 12px; opacity: .7; }
</style>
</head>
<body>
<header><h1>tagway</h1><small id="version"></small><span id="updated"></span></header>
<main>
  <section id="providers"><h2>Providers</h2><div class="body">loading…</div></section>
  <section id="entrypoints"><h2>Entry points</h2><div class="body">loading…</div></section>
  <section id="routers"><h2>Routers</h2><div class="body">loading…</div></section>
  <section id="services"><h2>Services</h2><div class="body">loading…</div></section>
  <section id="traces"><h2>Recent traces</h2><div class="body">loading…</div><div id="waterfall" class="waterfall"></div></section>
</main>
<script>
const api = (p) => fetch(p, { cache: 'no-store' }).then((r) => r.ok ? r.json() : Promise.reject(new Error(p + ': ' + r.status)));
const params = new URLSearchParams(location.search);
// The list endpoints are paginated (Traefik's per_page/page, X-Next-Page): read every page, bounded.
const perPage = Math.max(1, Number(params.get('perPage')) || 100);
const MAX_PAGES = 100;
async function apiAll(p) {
  const out = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const r = await fetch(p + '?per_page=' + perPage + '&page=' + page, { cache: 'no-store' });
    if (!r.ok) throw new Error(p + ': ' + r.status);
    out.push(...await r.json());
    if (!(Number(r.headers.get('x-next-page')) > page)) break;
  }
  return out;
}
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const ago = (ms) => ms == null ? 'never' : Math.max(0, Math.round((Date.now() - ms) / 1000)) + 's ago';
let openTrace = null; // the trace shown in the waterfall; kept when newer traces push it out of the list
let traces = [];

function table(head, rows) {
  return '<table><thead><tr>' + head.map((h) => '<th>' + h + '</th>').join('') + '</tr></thead><tbody>' + rows.join('') + '</tbody></table>';
}
function obs(r) {
  const o = r.observability || {}, s = r.observabilitySources || {};
  return ['tracing', 'accessLogs', 'metrics', 'traceVerbosity'].map((k) =>
    '<div data-obs="' + k + '">' + k + ': <b>' + esc(o[k]) + '</b> <span class="src">(' + esc(s[k] || 'default') + ')</span></div>').join('');
}
function renderProviders(ov) {
  const rows = (ov.providerStatus || []).map((p) => '<tr data-provider="' + esc(p.name) + '"><td>' + esc(p.name) + '</td><td class="contact">' + ago(p.lastContact) +
    '</td><td class="age">' + ago(p.configurationAt) + '</td><td class="err">' + (p.error ? esc(p.error) + (p.errorSince ? ' <span class="src">(since ' + ago(p.errorSince) + ')</span>' : '') : '') + '</td></tr>');
  const t = ov.tracing;
  const tracing = t ? '<p>Span export: ' + t.exported + ' exported, ' + t.dropped + ' dropped, ' + t.failedExports + ' failed exports' + (t.lastError ? ' — <span class="err">' + esc(t.lastError) + '</span>' : '') + '</p>' : '<p>Tracing is off (no <code>tracing</code> section).</p>';
  const reloads = ov.reloads ? '<p>Configuration reloads: ' + ov.reloads.count + (ov.reloads.lastAt ? ', last ' + ago(ov.reloads.lastAt) : '') + '</p>' : '';
  return table(['provider', 'last contact', 'configuration built', 'error'], rows) + tracing + reloads;
}
function renderEntryPoints(eps) {
  return table(['name', 'address', 'observability (router defaults)'], eps.map((e) => '<tr data-entrypoint="' + esc(e.name) + '"><td>' + esc(e.name) +
    '</td><td><code>' + esc(e.address) + '</code></td><td>' + Object.entries(e.observability || {}).map(([k, v]) => esc(k) + ': <b>' + esc(v) + '</b>').join(' · ') + '</td></tr>'));
}
function renderTls(r, tlsHosts) {
  if (!r.tls) return '';
  const hosts = (tlsHosts[r.name] || []).map((h) => '<div class="tls-host" data-host="' + esc(h.host) + '">' + esc(h.host) + ' → ' + (h.refused ? '<span class="err">refused: ' + esc(h.refused) + '</span>'
    : 'certificate <b>' + esc(h.certificate.commonName) + '</b> (' + esc(h.certificate.by) + ', ' + esc(h.certificate.source) + ', until ' + esc(h.certificate.notAfter.slice(0, 10)) + '), options ' + esc(h.options)) + '</div>').join('');
  return '<div class="tls" data-tls="' + esc(r.name) + '">🔒 TLS' + (r.tls.options ? ' · options ' + esc(r.tls.options) : '') + hosts + '</div>';
}
function renderRouters(routers, tlsHosts) {
  return table(['name', 'rule', 'service', 'status', 'observability'], routers.map((r) => '<tr data-router="' + esc(r.name) + '"><td>' + esc(r.name) +
    '</td><td><code>' + esc(r.rule) + '</code><div class="src">priority ' + esc(r.priority ?? 0) + ' · entry points ' + esc((r.using || r.entryPoints || []).join(', ')) + '</div>' + renderTls(r, tlsHosts) + '</td><td>' + esc(r.service) +
    '</td><td class="status-' + esc(r.status) + '">' + esc(r.status) + (r.error || []).map((e) => '<div class="err">' + esc(e) + '</div>').join('') +
    '</td><td>' + (r.provider === 'internal' ? '<span class="src">internal: not traced, logged or counted (unless addInternals)</span>' : obs(r)) + '</td></tr>'));
}
function renderServices(services) {
  return table(['name', 'servers', 'status', 'used by'], services.map((s) => {
    const servers = (s.loadBalancer?.servers || []).map((sv) => {
      const st = (s.serverStatus || {})[sv.url];
      return '<div><code>' + esc(sv.url) + '</code> ' + (st ? '<span class="' + (st === 'UP' ? 'up' : 'down') + '">' + st + '</span>' : '') +
        (sv.weight != null ? ' <span class="src">weight ' + esc(sv.weight) + '</span>' : '') + '</div>';
    }).join('');
    return '<tr data-service="' + esc(s.name) + '"><td>' + esc(s.name) + '</td><td>' + servers + '</td><td class="status-' + esc(s.status) + '">' + esc(s.status) +
      (s.error || []).map((e) => '<div class="err">' + esc(e) + '</div>').join('') + '</td><td>' + esc((s.usedBy || []).join(', ')) + '</td></tr>';
  }));
}
function renderTraces(list) {
  if (!list.length) return '<p>No traces yet.</p>';
  return table(['time', 'request', 'router', 'status', 'duration'], list.map((t) => '<tr class="trace-row" data-trace="' + esc(t.traceId) + '"><td>' +
    new Date(t.startTime).toLocaleTimeString() + '</td><td>' + esc(t.name) + ' ' + esc(t.path || '') + '</td><td>' + (t.routerName ? esc(t.routerName) : '<span class="src" title="router spans are recorded with traceVerbosity=detailed">-</span>') + '</td><td class="' +
    (t.error ? 'status-disabled' : 'status-enabled') + '">' + esc(t.httpStatus ?? '') + '</td><td>' + t.durationMs.toFixed(2) + ' ms</td></tr>'));
}
function renderWaterfall(trace) {
  if (!trace) return '';
  const spans = trace.spans || [];
  const total = Math.max(trace.durationMs, ...spans.map((s) => s.startOffsetMs + s.durationMs), 0.001);
  const depth = new Map();
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const d = (s) => { if (depth.has(s.spanId)) return depth.get(s.spanId); const p = byId.get(s.parentSpanId); const v = p ? d(p) + 1 : 0; depth.set(s.spanId, v); return v; };
  return '<h2>Trace <code>' + esc(trace.traceId) + '</code></h2>' + spans.map((s) =>
    '<div class="span" data-span="' + esc(s.name) + '"><div style="padding-left:' + (d(s) * 14) + 'px">' + esc(s.name) + ' <span class="src">' + s.durationMs.toFixed(2) + ' ms</span></div>' +
    '<div class="bar-wrap"><div class="bar' + (s.error ? ' error' : '') + '" style="left:' + (100 * s.startOffsetMs / total) + '%;width:' + (100 * s.durationMs / total) + '%"></div></div></div>').join('');
}
async function refresh() {
  try {
    const [ov, eps, routers, services, version, recent, tlsHosts] = await Promise.all([
      api('/api/overview'), apiAll('/api/entrypoints'), apiAll('/api/http/routers'), apiAll('/api/http/services'), api('/api/version'), api('/api/tagway/traces'),
      api('/api/tls/routers').catch(() => ({})),
    ]);
    document.querySelector('#version').textContent = 'v' + version.Version;
    document.querySelector('#providers .body').innerHTML = renderProviders(ov);
    document.querySelector('#entrypoints .body').innerHTML = renderEntryPoints(eps);
    document.querySelector('#routers .body').innerHTML = renderRouters(routers, tlsHosts);
    document.querySelector('#services .body').innerHTML = renderServices(services);
    traces = recent;
    document.querySelector('#traces .body').innerHTML = renderTraces(recent);
    if (openTrace) {
      openTrace = traces.find((t) => t.traceId === openTrace.traceId) || openTrace;
      document.querySelector('#waterfall').innerHTML = renderWaterfall(openTrace);
    }
    document.querySelector('#updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    document.querySelector('#updated').textContent = 'update failed: ' + e.message;
  }
}
document.addEventListener('click', (ev) => {
  const row = ev.target.closest('.trace-row');
  if (!row) return;
  openTrace = traces.find((t) => t.traceId === row.dataset.trace) || null;
  document.querySelector('#waterfall').innerHTML = renderWaterfall(openTrace);
});
// ?refresh=ms (at least 100) redraws faster, for a wall screen or a test; default every two seconds.
const every = Math.max(100, Number(params.get('refresh')) || 2000);
refresh();
setInterval(refresh, every);
</script>
</body>
</html>`;
