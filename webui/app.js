// The dashboard app: a header with the sections, and the page the hash route names. Every page polls the API
// itself (see lib.js usePoll), so a deep link opens straight onto a live view.
import { render } from 'preact';
import { getJson, html, useRoute, usePoll } from './lib.js';
import { OverviewPage } from './pages/overview.js';
import { ListPage } from './pages/list.js';
import { RouterPage } from './pages/router.js';
import { ServicePage } from './pages/service.js';
import { MiddlewarePage } from './pages/middleware.js';
import { TrafficPage } from './pages/traffic.js';
import { TracePage, TracesPage } from './pages/traces.js';
import { CertificatesPage } from './pages/certificates.js';

const SECTIONS = [
  ['', 'Overview'], ['http/routers', 'Routers'], ['http/services', 'Services'], ['http/middlewares', 'Middlewares'],
  ['traffic', 'Live traffic'], ['traces', 'Traces'], ['certificates', 'Certificates'],
];

function page({ parts, query }) {
  const [a, b, c] = parts;
  if (parts.length === 0) return html`<${OverviewPage} />`;
  if (a === 'http' && ['routers', 'services', 'middlewares'].includes(b)) {
    if (c === undefined) return html`<${ListPage} key=${b} kind=${b} query=${query} />`;
    if (b === 'routers') return html`<${RouterPage} key=${c} name=${c} />`;
    if (b === 'services') return html`<${ServicePage} key=${c} name=${c} />`;
    return html`<${MiddlewarePage} key=${c} name=${c} />`;
  }
  if (a === 'traffic') return html`<${TrafficPage} query=${query} />`;
  if (a === 'traces') return b ? html`<${TracePage} key=${b} id=${b} />` : html`<${TracesPage} />`;
  if (a === 'certificates') return html`<${CertificatesPage} />`;
  return html`<section class="card"><p>No such page. <a href="#/">Overview</a></p></section>`;
}

function App() {
  const route = useRoute();
  const version = usePoll(() => getJson('/api/version'), 'version', 600_000).data;
  const here = route.parts.slice(0, route.parts[0] === 'http' ? 2 : 1).join('/');
  const title = SECTIONS.find(([p]) => p === here)?.[1] ?? 'tagway';
  document.title = `${title} · tagway`;
  return html`<header class="top"><h1>tagway</h1>
      <nav>${SECTIONS.map(([p, label]) => html`<a href=${`#/${p}`} class=${p === here ? 'on' : ''} data-nav=${p || 'overview'}>${label}</a>`)}</nav>
      <span class="version">${version ? `v${version.Version}` : ''}</span></header>
    <main data-page=${here || 'overview'}>${page(route)}</main>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the page's "loading…" until the modules ran
render(html`<${App} />`, root);
