// A middleware: its type and configuration, and the routers that use it.
import { Errors, Json, KV, Links, Loading, Status } from '../components.js';
import { getJson, html, itemPath, link, usePoll } from '../lib.js';

export function MiddlewarePage({ name }) {
  const { data: m, error } = usePoll(() => getJson(itemPath('middlewares', name)), name);
  if (!m) return html`<section class="card"><h2>${name}</h2><${Loading} error=${error} /></section>`;
  const config = Object.fromEntries(Object.entries(m).filter(([k]) => !['name', 'provider', 'type', 'status', 'error', 'usedBy'].includes(k)));
  return html`<h2 data-middleware=${m.name}>Middleware ${m.name} <${Status} status=${m.status} /></h2>
  <div class="grid wide">
    <section class="card" data-section="summary">
      <${Errors} errors=${m.error} />
      <${KV} rows=${[
        ['type', m.type ?? ''],
        ['provider', m.provider],
        ['used by', (m.usedBy ?? []).length ? html`<span data-used-by><${Links} kind="routers" names=${m.usedBy} /></span>` : html`<span class="muted">no router</span>`],
        ['routers', html`<a href=${link('http', 'routers', { middlewareName: m.name })}>list them</a>`],
      ]} />
    </section>
    <section class="card" data-section="config"><h3>Configuration</h3><${Json} value=${config} /></section>
  </div>`;
}
