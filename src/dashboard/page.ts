import { IMPORT_MAP } from './assets.ts';

/**
 * The dashboard's one HTML page, served at /dashboard/. Everything else is ES modules: the app (`webui/`, served
 * under /dashboard/app/) and its libraries (Preact, htm, uPlot, under /dashboard/vendor/, from the package's
 * dependencies). Pages are hash routes (`#/http/routers/whoami@consulcatalog`), so every view has a deep link
 * and the admin app needs no route per page. `?refresh=ms` (≥ 100) sets how often views poll the API.
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tagway dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/dashboard/vendor/uplot.css">
<link rel="stylesheet" href="/dashboard/app/style.css">
<script type="importmap">${JSON.stringify(IMPORT_MAP)}</script>
</head>
<body>
<div id="app"><p class="loading">loading…</p></div>
<script type="module" src="/dashboard/app/app.js"></script>
</body>
</html>`;
