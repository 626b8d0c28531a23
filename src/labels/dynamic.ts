import type { Configuration, HTTPConfiguration } from '../dynamic/types.ts';
import { httpConfigurationDesc } from '../dynamic/schema.ts';
import { tlsConfigurationDesc, type TLSConfiguration } from '../dynamic/tls.ts';
import { suggest } from '../util/didyoumean.ts';
import { formatPath } from './descriptor.ts';
import type { DecodeIssue, StructDesc } from './descriptor.ts';
import { decodeFlat, splitFlatKey } from './flat.ts';
import type { FlatEntry } from './flat.ts';
import { decodeDocument } from './document.ts';

/** A problem with one label (tag). `key` is the label as written, `path` the canonical path below the prefix. */
export interface LabelError {
  key: string;
  path: string;
  message: string;
  suggestion?: string;
}

/** A problem in a structured document (file provider). `line` is 1-based when the caller can locate it. */
export interface DocError {
  path: string;
  line?: number;
  message: string;
  suggestion?: string;
  /** The router, service or middleware the problem is inside of (unset: a problem of the document itself). */
  item?: { kind: 'router' | 'service' | 'middleware'; name: string };
}

const ITEM_SECTIONS: Record<string, 'router' | 'service' | 'middleware'> = { routers: 'router', services: 'service', middlewares: 'middleware' };

/** The item an issue's canonical path `[section, name, …]` falls in, if it is one. */
function itemOf(path: (string | number)[]): DocError['item'] {
  const kind = ITEM_SECTIONS[String(path[0])];
  return kind !== undefined && path.length >= 2 ? { kind, name: String(path[1]) } : undefined;
}

/** Top-level names under the prefix, for "did you mean". */
const ROOTS = ['http', 'tcp', 'udp', 'tls', 'enable', 'consulcatalog'];
export const UNSUPPORTED_TCP_UDP = 'TCP/UDP routing is not supported by tagway';
/** Traefik reads `tls.*` only from files: certificates, options and stores cannot come from tags. */
export const UNSUPPORTED_TLS = 'TLS options, stores and certificates cannot be declared in tags (Traefik reads them only from the file provider)';

/** A path for a key that did not split: cut, since the key may be over MAX_KEY_LENGTH. */
function shortPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

function toLabelError(i: DecodeIssue, rootPath: string): LabelError {
  const p = formatPath(i.path);
  return {
    key: i.key ?? '',
    path: rootPath === '' ? p : p === '' ? rootPath : `${rootPath}.${p}`,
    message: i.message,
    ...(i.suggestion !== undefined ? { suggestion: i.suggestion } : {}),
  };
}

function completeHTTP(value: Record<string, unknown>): HTTPConfiguration {
  return { routers: {}, services: {}, middlewares: {}, ...(value as Partial<HTTPConfiguration>) };
}

/**
 * Decodes `<prefix>.http.*` labels into a dynamic configuration, as Traefik's label parser does.
 * The prefix is matched case-sensitively (Traefik's Consul provider uses `strings.HasPrefix`); everything
 * after it is case-insensitive except router/service/middleware names and map keys. `<prefix>.enable` and
 * `<prefix>.consulcatalog.*` belong to {@link decodeExtraConfig}. Never throws: `errors` are what Traefik
 * would refuse (the instance's whole configuration then does not apply); `warnings` are keys Traefik ignores
 * silently (e.g. `traefik.foo=bar`), reported so typos are visible; `unsupported` are the `tcp`, `udp` and `tls`
 * labels Traefik would build and tagway does not (the caller decides what still builds).
 * @example
 * decodeDynamicLabels({ 'traefik.http.routers.api.rule': 'Host(`api.example.com`)', 'traefik.http.routers.api.tls': 'true' }, 'traefik')
 * // { configuration: { http: { routers: { api: { rule: 'Host(`api.example.com`)', tls: {} } }, services: {}, middlewares: {} } }, errors: [], warnings: [], unsupported: [] }
 */
export function decodeDynamicLabels(labels: Record<string, string>, prefix: string): { configuration: Configuration; errors: LabelError[]; warnings: LabelError[]; unsupported: LabelError[] } {
  const errors: LabelError[] = [];
  const warnings: LabelError[] = [];
  const unsupported: LabelError[] = [];
  const entries: FlatEntry[] = [];
  const head = `${prefix}.`;
  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(head)) continue;
    const segments = splitFlatKey(key.slice(head.length));
    if (typeof segments === 'string') { errors.push({ key, path: shortPath(key.slice(head.length)), message: segments }); continue; }
    const root = segments[0]!.toLowerCase();
    if (root === 'http') { entries.push({ key, segments: segments.slice(1), value: String(value) }); continue; }
    if (root === 'enable' || root === 'consulcatalog') continue;
    if (root === 'tcp' || root === 'udp') { unsupported.push({ key, path: root, message: UNSUPPORTED_TCP_UDP }); continue; }
    if (root === 'tls') { unsupported.push({ key, path: root, message: UNSUPPORTED_TLS }); continue; }
    const s = suggest(segments[0]!, ROOTS);
    const problem: LabelError = { key, path: segments[0]!, message: `unknown key "${segments[0]}" after "${prefix}."`, ...(s !== undefined ? { suggestion: s } : {}) };
    // Traefik's filters are string prefixes ("traefik.http"), so "traefik.https.x" reaches the parser and fails there;
    // anything else under the prefix is ignored by Traefik, so it is only a warning here.
    if (/^(http|tcp|udp)/.test(root)) errors.push(problem);
    else warnings.push({ ...problem, message: `${problem.message} is ignored` });
  }
  const decoded = decodeFlat(entries, httpConfigurationDesc, { durations: 'string' });
  for (const i of decoded.errors) errors.push(toLabelError(i, 'http'));
  return { configuration: { http: completeHTTP(decoded.value) }, errors, warnings, unsupported };
}

const extraDesc: StructDesc = {
  name: 'provider options',
  fields: {
    enable: { kind: 'bool' },
    consulCatalog: { kind: 'struct', struct: { name: 'consulCatalog', fields: { connect: { kind: 'bool' }, canary: { kind: 'bool' } } } },
  },
};

/**
 * The Consul provider's own labels: `<prefix>.enable`, `<prefix>.consulcatalog.connect`, `<prefix>.consulcatalog.canary`.
 * Absent values are undefined (the provider applies exposedByDefault / connectByDefault).
 * @example
 * decodeExtraConfig({ 'traefik.enable': 'false' }, 'traefik') // { enable: false, errors: [] }
 */
export function decodeExtraConfig(labels: Record<string, string>, prefix: string): { enable?: boolean; connect?: boolean; canary?: boolean; errors: LabelError[] } {
  const errors: LabelError[] = [];
  const entries: FlatEntry[] = [];
  const head = `${prefix}.`;
  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(head)) continue;
    // Most labels are http.*: look at the first letter of the first element before splitting the whole key.
    const c = key.charCodeAt(head.length) | 0x20;
    if (c !== 0x65 /* e */ && c !== 0x63 /* c */) continue;
    const segments = splitFlatKey(key.slice(head.length));
    if (typeof segments === 'string') continue; // reported by decodeDynamicLabels
    const root = segments[0]!.toLowerCase();
    if (root === 'enable' || root === 'consulcatalog') entries.push({ key, segments, value: String(value) });
  }
  const decoded = decodeFlat(entries, extraDesc);
  for (const i of decoded.errors) errors.push(toLabelError(i, ''));
  const v = decoded.value as { enable?: boolean; consulCatalog?: { connect?: boolean; canary?: boolean } };
  return {
    ...(v.enable !== undefined ? { enable: v.enable } : {}),
    ...(v.consulCatalog?.connect !== undefined ? { connect: v.consulCatalog.connect } : {}),
    ...(v.consulCatalog?.canary !== undefined ? { canary: v.consulCatalog.canary } : {}),
    errors,
  };
}

/**
 * Decodes a parsed dynamic-configuration document (YAML/TOML/JSON, as the file provider reads it) with the same
 * schema as labels. `locate(rawPath)` maps a path as written in the document to a 1-based line.
 * Top-level `tcp` and `udp` are reported as unsupported (`tls` is read: certificates, options, stores); other unknown keys with a suggestion.
 * @example
 * decodeDynamicDocument({ http: { routers: { web: { rule: 'PathPrefix(`/`)', service: 'app' } } } })
 */
export function decodeDynamicDocument(doc: unknown, locate?: (path: (string | number)[]) => number | undefined): { configuration: Configuration; errors: DocError[] } {
  const errors: DocError[] = [];
  const at = (rawPath: (string | number)[]): { line?: number } => {
    if (locate === undefined) return {};
    let line: number | undefined;
    try { line = locate(rawPath); } catch { line = undefined; }
    return line === undefined ? {} : { line };
  };
  let http: Record<string, unknown> = {};
  let tls: TLSConfiguration | undefined;
  if (doc !== null && doc !== undefined) {
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      errors.push({ path: '', message: 'expected a mapping at the top level' });
    } else {
      for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
        const lower = key.toLowerCase();
        if (lower === 'http') {
          const decoded = decodeDocument(value, httpConfigurationDesc, { durations: 'string' });
          if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
            errors.push({ path: 'http', ...at([key]), message: 'expected a mapping' });
          }
          http = decoded.value;
          for (const i of decoded.errors) {
            const item = itemOf(i.path);
            errors.push({
              path: `http.${formatPath(i.path)}`.replace(/\.$/, ''), ...at([key, ...i.rawPath]), message: i.message,
              ...(i.suggestion !== undefined ? { suggestion: i.suggestion } : {}), ...(item ? { item } : {}),
            });
          }
        } else if (lower === 'tcp' || lower === 'udp') {
          errors.push({ path: lower, ...at([key]), message: UNSUPPORTED_TCP_UDP });
        } else if (lower === 'tls') {
          const decoded = decodeDocument(value, tlsConfigurationDesc, { durations: 'string' });
          tls = decoded.value as TLSConfiguration;
          for (const i of decoded.errors) {
            errors.push({ path: `tls.${formatPath(i.path)}`.replace(/\.$/, ''), ...at([key, ...i.rawPath]), message: i.message, ...(i.suggestion !== undefined ? { suggestion: i.suggestion } : {}) });
          }
        } else {
          const s = suggest(key, ['http']);
          errors.push({ path: key, ...at([key]), message: `unknown key "${key}" in the dynamic configuration`, ...(s !== undefined ? { suggestion: s } : {}) });
        }
      }
    }
  }
  return { configuration: { http: completeHTTP(http), ...(tls ? { tls } : {}) }, errors };
}
