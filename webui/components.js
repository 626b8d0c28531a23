// Small building blocks: status badges, chips, key/value lists, the live traffic chart (uPlot).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { fmt, getJson, html, link, usePoll } from './lib.js';

export const Status = ({ status }) => html`<span class=${`badge ${status}`} data-status=${status}>${status}</span>`;

export const Errors = ({ errors }) => (errors ?? []).map((e) => html`<div class="err">${e}</div>`);

export const Chips = ({ items }) => (items ?? []).map((i) => html`<span class="chip">${i}</span>`);

/** Links to routers, services or middlewares by qualified name. */
export const Links = ({ kind, names }) => (names ?? []).map((n, i) => html`${i ? ', ' : ''}<a href=${link('http', kind, n)}>${n}</a>`);

export const KV = ({ rows }) => html`<dl class="kv">${rows.filter(Boolean).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;

export const Json = ({ value }) => html`<pre>${JSON.stringify(value, null, 2)}</pre>`;

export const Loading = ({ error }) => (error ? html`<p class="err">${error.message}</p>` : html`<p class="loading">loading…</p>`);

/** Anything the API gives beyond what a view knows (other teams' additions), as key/value rows. */
export const Extra = ({ value, known }) => {
  const rest = Object.entries(value ?? {}).filter(([k]) => !known.includes(k));
  if (!rest.length) return null;
  return html`<${KV} rows=${rest.map(([k, v]) => [k, typeof v === 'object' ? html`<${Json} value=${v} />` : String(v)])} />`;
};

/**
 * The live traffic of one router or service over the last `seconds`: requests and 5xx per second, and p50/p99
 * latency, two small uPlot charts redrawn on each poll. The container carries the window's totals as data-*
 * attributes (the browser tests read them; an operator reads the title).
 */
export function TrafficChart({ kind, name, seconds = 120 }) {
  const { data, error } = usePoll(() => getJson(`/api/tagway/traffic/${kind}/${encodeURIComponent(name)}?seconds=${seconds}`), `${kind}/${name}/${seconds}`);
  const rateEl = useRef(null);
  const latEl = useRef(null);
  const plots = useRef({});
  useEffect(() => () => { plots.current.rate?.destroy(); plots.current.lat?.destroy(); plots.current = {}; }, [kind, name, seconds]);
  useEffect(() => {
    if (!data || !rateEl.current) return;
    const t = data.points.map((p) => p.t);
    const rate = [t, data.points.map((p) => p.requests), data.points.map((p) => p.errors)];
    const lat = [t, data.points.map((p) => p.p50), data.points.map((p) => p.p99)];
    const width = Math.max(240, rateEl.current.clientWidth || 400);
    if (!plots.current.rate) {
      const base = { width, height: 120, legend: { show: false }, cursor: { show: false }, scales: { x: { time: true } } };
      plots.current.rate = new uPlot({ ...base, series: [{}, { label: 'req/s', stroke: '#3b6fe0', fill: 'rgba(59,111,224,.12)', width: 1.5 }, { label: '5xx/s', stroke: '#e25555', width: 1.5 }],
        axes: [{ size: 24 }, { size: 40 }] }, rate, rateEl.current);
      plots.current.lat = new uPlot({ ...base, series: [{}, { label: 'p50 ms', stroke: '#17803d', width: 1.5, points: { show: true, size: 3 } }, { label: 'p99 ms', stroke: '#b56a00', width: 1.5, points: { show: true, size: 3 } }],
        axes: [{ size: 24 }, { size: 48 }] }, lat, latEl.current);
    } else {
      plots.current.rate.setData(rate);
      plots.current.lat.setData(lat);
    }
  }, [data]);
  const tot = data?.totals;
  return html`<div class="chart" data-traffic=${`${kind}/${name}`} data-requests=${tot?.requests ?? 0} data-rps=${tot?.rps ?? 0}>
    ${error && html`<p class="err">${error.message}</p>`}
    <div class="title">${tot ? html`<span><b>${fmt.rps(tot.rps)}</b> req/s</span><span><b>${fmt.pct(tot.errorRate)}</b> 5xx</span>
      <span>p50 <b>${fmt.ms(tot.p50)}</b></span><span>p99 <b>${fmt.ms(tot.p99)}</b></span><span>last ${seconds}s</span>` : 'loading…'}</div>
    <div ref=${rateEl} class="plot rate"></div>
    <div class="legend"><i style="background:#3b6fe0"></i>requests/s <i style="background:#e25555"></i>5xx/s</div>
    <div ref=${latEl} class="plot latency"></div>
    <div class="legend"><i style="background:#17803d"></i>p50 ms <i style="background:#b56a00"></i>p99 ms</div>
  </div>`;
}
