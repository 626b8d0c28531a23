// The recent traces this process sampled, and one trace's spans as a waterfall.
import { Loading } from '../components.js';
import { getJson, html, link, usePoll } from '../lib.js';

/** Traces seen, so an open waterfall survives newer traces pushing it out of the ring. */
const seen = new Map();

export function TracesPage() {
  const { data, error } = usePoll(() => getJson('/api/tagway/traces'), 'traces');
  if (!data) return html`<${Loading} error=${error} />`;
  for (const t of data) seen.set(t.traceId, t);
  return html`<section class="card"><h3>Recent traces</h3>
    ${data.length === 0 ? html`<p class="muted">No traces yet (tracing needs a <code>tracing</code> section and a router with tracing on).</p>` : html`<table>
      <thead><tr><th>time</th><th>request</th><th>router</th><th>status</th><th class="num">duration</th></tr></thead>
      <tbody>${data.map((t) => html`<tr class="click trace-row" data-trace=${t.traceId} onClick=${() => { location.hash = link('traces', t.traceId); }}>
        <td>${new Date(t.startTime).toLocaleTimeString()}</td><td>${t.name} ${t.path ?? ''}</td>
        <td>${t.routerName ?? html`<span class="src" title="router spans are recorded with traceVerbosity=detailed">–</span>`}</td>
        <td><span class=${`badge ${t.error ? 'disabled' : 'enabled'}`}>${t.httpStatus ?? ''}</span></td><td class="num">${t.durationMs.toFixed(2)} ms</td></tr>`)}</tbody></table>`}
  </section>`;
}

export function TracePage({ id }) {
  const { data } = usePoll(() => getJson('/api/tagway/traces'), 'traces');
  for (const t of data ?? []) seen.set(t.traceId, t);
  const trace = seen.get(id);
  if (!trace) return html`<section class="card"><h3>Trace <code>${id}</code></h3>${data ? html`<p class="muted">Not among the recent traces of this process.</p>` : html`<${Loading} />`}</section>`;
  const spans = trace.spans ?? [];
  const total = Math.max(trace.durationMs, ...spans.map((s) => s.startOffsetMs + s.durationMs), 0.001);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const depth = (s, n = 0) => (byId.has(s.parentSpanId) && n < 32 ? depth(byId.get(s.parentSpanId), n + 1) : n);
  return html`<section class="card waterfall"><h3>Trace <code>${trace.traceId}</code> · ${trace.name} ${trace.path ?? ''} · ${trace.durationMs.toFixed(2)} ms</h3>
    ${trace.routerName && html`<p>router <a href=${link('http', 'routers', trace.routerName)}>${trace.routerName}</a></p>`}
    ${spans.map((s) => html`<div class="span" data-span=${s.name} data-depth=${depth(s)}>
      <div style=${`padding-left:${depth(s) * 14}px`}>${s.name} <span class="src">${s.durationMs.toFixed(2)} ms</span></div>
      <div class="bar-wrap"><div class=${`bar${s.error ? ' error' : ''}`} style=${`left:${(100 * s.startOffsetMs) / total}%;width:${(100 * s.durationMs) / total}%`}></div></div></div>`)}
    <p><a href="#/traces">‹ all recent traces</a></p>
  </section>`;
}
