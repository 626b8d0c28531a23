// The lists of routers, services and middlewares: one page of the API at a time, filtered by the API
// (search, status, provider, entry point, service, middleware, type), the filters kept in the URL (deep links).
import { useEffect, useState } from 'preact/hooks';
import { Chips, Loading, Status } from '../components.js';
import { getJson, getPage, html, link, parseHash, STATUSES, usePoll } from '../lib.js';

const PER_PAGE = 50;

/** Filters each list offers: the API's query parameter, the label, and how it is asked. */
const FILTERS = {
  routers: ['search', 'status', 'provider', 'entryPoint', 'serviceName', 'middlewareName'],
  services: ['search', 'status', 'provider', 'type'],
  middlewares: ['search', 'status', 'provider', 'type'],
};
const LABELS = { search: 'search (name, rule)', status: 'status', provider: 'provider', entryPoint: 'entry point', serviceName: 'service', middlewareName: 'middleware', type: 'type' };
const PROVIDERS = ['consulcatalog', 'file', 'internal'];

const COLUMNS = {
  routers: {
    head: ['status', 'TLS', 'name', 'rule', 'entry points', 'service', 'provider', 'priority'],
    row: (r) => [html`<${Status} status=${r.status} />`, r.tls ? html`<span class="badge tls">TLS</span>` : '', html`<a href=${link('http', 'routers', r.name)}>${r.name}</a>`,
      html`<code>${r.rule}</code>`, html`<${Chips} items=${r.using ?? r.entryPoints} />`,
      r.service ? html`<a href=${link('http', 'services', qualify(r.service, r.provider))}>${r.service}</a>` : '', r.provider, r.priority ?? 0],
  },
  services: {
    head: ['status', 'name', 'type', 'servers', 'provider', 'used by'],
    row: (s) => {
      const st = Object.values(s.serverStatus ?? {});
      const servers = s.loadBalancer?.servers?.length ?? 0;
      return [html`<${Status} status=${s.status} />`, html`<a href=${link('http', 'services', s.name)}>${s.name}</a>`, s.type ?? '',
        servers ? html`${servers}${st.includes('DOWN') ? html` <span class="badge down">${st.filter((x) => x === 'DOWN').length} down</span>` : ''}` : '',
        s.provider, (s.usedBy ?? []).length];
    },
  },
  middlewares: {
    head: ['status', 'name', 'type', 'provider', 'used by'],
    row: (m) => [html`<${Status} status=${m.status} />`, html`<a href=${link('http', 'middlewares', m.name)}>${m.name}</a>`, m.type ?? '', m.provider, (m.usedBy ?? []).length],
  },
};

export const qualify = (name, provider) => (name.includes('@') ? name : `${name}@${provider}`);

export function ListPage({ kind, query }) {
  const filters = Object.fromEntries(FILTERS[kind].map((f) => [f, query.get(f) ?? '']));
  const page = Math.max(1, Number(query.get('page')) || 1);
  const perPage = Math.max(1, Number(query.get('per_page')) || PER_PAGE);
  const key = JSON.stringify([kind, filters, page, perPage]);
  const { data, error } = usePoll(() => getPage(`/api/http/${kind}`, { ...filters, page, per_page: perPage }), key);
  const entryPoints = usePoll(() => getJson('/api/entrypoints'), 'eps', 60_000).data ?? [];
  // From the URL as it is now (a delayed search must not undo a filter chosen meanwhile); a new filter starts at page 1.
  const go = (changes) => {
    const next = { ...Object.fromEntries(parseHash().query), ...changes };
    if (!('page' in changes)) delete next.page;
    location.replace(link('http', kind, next));
  };
  const { head, row } = COLUMNS[kind];
  return html`<section class="card list" data-list=${kind}>
    <${FilterBar} kind=${kind} filters=${filters} entryPoints=${entryPoints.map((e) => e.name)} onChange=${go} />
    ${data ? html`<table><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead>
      <tbody>${data.items.map((item) => html`<tr data-name=${item.name}>${row(item).map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>
      ${data.items.length === 0 && html`<p class="muted empty">Nothing matches.</p>`}
      <div class="pager"><button disabled=${page <= 1} onClick=${() => go({ page: String(page - 1) })}>‹ previous</button>
        <span class="muted">page ${page}</span>
        <button class="next" disabled=${!data.next} onClick=${() => go({ page: String(data.next) })}>next ›</button></div>`
    : html`<${Loading} error=${error} />`}
    ${data && error && html`<p class="err">${error.message}</p>`}
  </section>`;
}

function FilterBar({ kind, filters, entryPoints, onChange }) {
  // The search box answers as one types, a moment after the last key.
  const [search, setSearch] = useState(filters.search);
  useEffect(() => setSearch(filters.search), [filters.search]);
  useEffect(() => {
    if (search === filters.search) return undefined;
    const t = setTimeout(() => onChange({ search }), 250);
    return () => clearTimeout(t);
  }, [search]);
  const select = (name, options) => html`<label>${LABELS[name]}<select name=${name} value=${filters[name]} onChange=${(e) => onChange({ [name]: e.currentTarget.value })}>
    <option value="">all</option>${options.map((o) => html`<option value=${o}>${o}</option>`)}</select></label>`;
  const text = (name, placeholder = 'name@provider') => html`<${TextFilter} name=${name} value=${filters[name]} placeholder=${placeholder} onChange=${onChange} />`;
  // Enter in any text filter applies every text filter of the form (the selects apply at once).
  const submit = (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    onChange(Object.fromEntries(['search', 'serviceName', 'middlewareName', 'type'].filter((k) => form.has(k)).map((k) => [k, String(form.get(k)).trim()])));
  };
  return html`<form class="filters" onSubmit=${submit}>
    <label>${LABELS.search}<input name="search" type="search" value=${search} onInput=${(e) => setSearch(e.currentTarget.value)} placeholder=${`filter ${kind}…`} /></label>
    ${FILTERS[kind].includes('status') && select('status', STATUSES)}
    ${FILTERS[kind].includes('provider') && select('provider', PROVIDERS)}
    ${FILTERS[kind].includes('entryPoint') && select('entryPoint', entryPoints)}
    ${FILTERS[kind].includes('serviceName') && text('serviceName')}
    ${FILTERS[kind].includes('middlewareName') && text('middlewareName')}
    ${FILTERS[kind].includes('type') && text('type', kind === 'services' ? 'loadbalancer' : 'headers')}
    <button type="submit">Apply</button>
  </form>`;
}

/** A text filter: what one types stays (the list redraws every poll) until it is applied, on change or Enter. */
function TextFilter({ name, value, placeholder, onChange }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  return html`<label>${LABELS[name]}<input name=${name} value=${text} placeholder=${placeholder}
    onInput=${(e) => setText(e.currentTarget.value)} onChange=${(e) => onChange({ [name]: e.currentTarget.value.trim() })} /></label>`;
}
