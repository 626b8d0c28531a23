// Shared pieces of the dashboard: the html tag (htm over Preact), API reads, polling, hash routes, formatting.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

/** How often views poll the API: `?refresh=ms` in the page URL (at least 100), two seconds by default. */
export const REFRESH = Math.max(100, Number(new URLSearchParams(location.search).get('refresh')) || 2000);

/** GET a JSON answer of the API; a non-2xx answer throws with the API's message. */
export async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) {
    let message = (await res.text()).trim();
    try { message = JSON.parse(message).message ?? message; } catch { /* plain text */ }
    throw new Error(`${res.status}: ${message}`);
  }
  return res.json();
}

/** One page of a paginated list (Traefik's `page`/`per_page`, `X-Next-Page` = 1 on the last page). */
export async function getPage(path, params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== undefined && v !== null));
  const res = await fetch(`${path}?${q}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${res.status}: ${(await res.text()).trim()}`);
  const next = Number(res.headers.get('x-next-page'));
  return { items: await res.json(), next: next > Number(params.page ?? 1) ? next : undefined };
}

/**
 * Polls `load` every REFRESH ms (the next read starts when the last one ended) while the view is shown;
 * `key` restarts it (new filters, another item). Keeps the last good data while a read fails.
 */
export function usePoll(load, key, every = REFRESH) {
  const [state, setState] = useState({ data: undefined, error: undefined, key });
  const current = useRef(key);
  current.current = key;
  useEffect(() => {
    let stopped = false;
    let timer;
    const tick = async () => {
      try {
        const data = await load();
        if (!stopped) setState({ data, error: undefined, key });
      } catch (error) {
        if (!stopped) setState((s) => ({ data: s.key === key ? s.data : undefined, error, key }));
      }
      if (!stopped) timer = setTimeout(tick, every);
    };
    tick();
    return () => { stopped = true; clearTimeout(timer); };
  }, [key]);
  // A stale answer for another key is not shown.
  return state.key === key ? state : { data: undefined, error: undefined, key };
}

/** The current hash route: `#/http/routers/a%40file?search=x` → { parts: ['http', 'routers', 'a@file'], query }. */
export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const on = () => setRoute(parseHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** A deep link: `link('http', 'routers', 'a@file')` → `#/http/routers/a%40file`. */
export function link(...parts) {
  let query = '';
  if (parts.length && typeof parts[parts.length - 1] === 'object') {
    const q = new URLSearchParams(Object.entries(parts.pop()).filter(([, v]) => v !== '' && v !== undefined));
    query = q.size ? `?${q}` : '';
  }
  return `#/${parts.map(encodeURIComponent).join('/')}${query}`;
}

export const itemPath = (kind, name) => `/api/http/${kind}/${encodeURIComponent(name)}`;

export function ago(ms) {
  if (ms === undefined || ms === null) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export const fmt = {
  rps: (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)),
  pct: (v) => `${(100 * v).toFixed(v > 0 && v < 0.01 ? 2 : 1)}%`,
  ms: (v) => (v === null || v === undefined ? '–' : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(v >= 10 ? 1 : 2)} ms`),
};

export const STATUSES = ['enabled', 'warning', 'disabled'];
