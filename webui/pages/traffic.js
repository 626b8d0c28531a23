// Live traffic: every router and service that served requests in the window, busiest first, with charts for
// the busiest routers. From the gateway's own per-second counters (summed over the workers by the primary).
import { Loading, TrafficChart } from '../components.js';
import { fmt, getJson, html, link, usePoll } from '../lib.js';

const WINDOWS = [60, 120, 300 - 1];

export function TrafficPage({ query }) {
  const seconds = Number(query.get('seconds')) || 60;
  const { data, error } = usePoll(() => getJson(`/api/tagway/traffic?seconds=${seconds}&limit=100`), seconds);
  const table = (kind, rows) => html`<table data-traffic-table=${kind}>
    <thead><tr><th>${kind === 'routers' ? 'router' : 'service'}</th><th class="num">requests</th><th class="num">req/s</th><th class="num">5xx</th><th class="num">p50</th><th class="num">p99</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr data-name=${r.name}><td><a href=${link('http', kind, r.name)}>${r.name}</a></td><td class="num">${r.requests}</td>
      <td class="num">${fmt.rps(r.rps)}</td><td class="num errors">${fmt.pct(r.errorRate)}</td><td class="num">${fmt.ms(r.p50)}</td><td class="num">${fmt.ms(r.p99)}</td></tr>`)}</tbody></table>
    ${rows.length === 0 && html`<p class="muted">No requests in the last ${seconds}s.</p>`}`;
  return html`<section class="card"><div class="filters"><label>window<select value=${seconds}
      onChange=${(e) => location.replace(link('traffic', { seconds: e.currentTarget.value }))}>${WINDOWS.map((w) => html`<option value=${w}>${Math.round(w / 60)} min</option>`)}</select></label></div></section>
    ${!data ? html`<${Loading} error=${error} />` : html`
    <div class="grid wide">${data.routers.slice(0, 4).map((r) => html`<section class="card"><h3><a href=${link('http', 'routers', r.name)}>${r.name}</a></h3>
      <${TrafficChart} kind="routers" name=${r.name} seconds=${seconds} /></section>`)}</div>
    <div class="grid wide">
      <section class="card"><h3>Routers</h3>${table('routers', data.routers)}</section>
      <section class="card"><h3>Services</h3>${table('services', data.services)}</section>
    </div>`}`;
}
