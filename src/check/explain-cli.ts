import { parseArgs } from 'node:util';

const HELP = `tagway explain [--admin=http://127.0.0.1:8080] [--method=GET] [--header='Name: value']… [--client-ip=IP] [--entry-point=web] URL

Asks a running gateway which router would take the request, why the higher-priority ones did not,
the service and server it would use, and the effective observability with the source of each field.`;

export async function runExplain(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: {
      admin: { type: 'string', default: 'http://127.0.0.1:8080' }, method: { type: 'string', default: 'GET' },
      header: { type: 'string', multiple: true, short: 'H' }, 'client-ip': { type: 'string' }, 'entry-point': { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    } });
  } catch (err) {
    process.stderr.write(`tagway explain: ${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) { process.stdout.write(HELP + '\n'); return values.help ? 0 : 2; }
  const q = new URLSearchParams({ url: positionals[0]!, method: values.method! });
  for (const h of values.header ?? []) q.append('header', h);
  if (values['client-ip']) q.set('clientIp', values['client-ip']);
  if (values['entry-point']) q.set('entryPoint', values['entry-point']);
  let res: Response;
  try {
    res = await fetch(`${values.admin}/api/explain?${q}`);
  } catch (err) {
    process.stderr.write(`tagway explain: cannot reach ${values.admin}: ${(err as Error).message}\n`);
    return 1;
  }
  const body = await res.json() as Record<string, unknown>;
  if (!res.ok) { process.stderr.write(`tagway explain: ${String(body['message'])}\n`); return 1; }
  if (values.json) { process.stdout.write(JSON.stringify(body, null, 2) + '\n'); return 0; }
  process.stdout.write(formatExplanation(body as unknown as Parameters<typeof formatExplanation>[0]) + '\n');
  return 0;
}

interface View {
  request: { entryPoint: string; method: string; host: string; path: string };
  matched: string | null;
  evaluated: Array<{ router: string; priority: number; matched: boolean; reason?: string }>;
  router?: { rule?: string; service?: string; observability: Record<string, unknown>; observabilitySources: Record<string, string> };
  service?: { name: string; pick: string };
  traced: boolean;
  tracedBecause?: string;
  tls?: { options: string; refused?: string; certificate?: { source: string; commonName: string; names: string[]; notAfter: string; by: string } };
  /** Tracing's effective settings, each `{ value, source, variable? }` (settings.ts describeSettings). */
  tracingSettings?: Record<string, unknown>;
}

interface SourcedView { value: unknown; source: string; variable?: string }

/** "  endpoint: otel:4317 (from env OTEL_EXPORTER_OTLP_ENDPOINT)", one line per effective tracing setting. */
function settingLines(settings: Record<string, unknown>, prefix = ''): string[] {
  const lines: string[] = [];
  for (const [key, entry] of Object.entries(settings)) {
    if (entry === null || typeof entry !== 'object') continue;
    if (!('source' in entry)) { lines.push(...settingLines(entry as Record<string, unknown>, `${prefix}${key}.`)); continue; }
    const { value, source, variable } = entry as SourcedView;
    const shown = value === undefined ? '(unset)' : value === null ? 'unlimited' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    lines.push(`  ${prefix}${key}: ${shown} (from ${source}${variable ? ` ${variable}` : ''})`);
  }
  return lines;
}

export function formatExplanation(e: View): string {
  const lines = [`${e.request.method} ${e.request.host}${e.request.path} on entry point "${e.request.entryPoint}"`];
  if (e.tls) {
    const c = e.tls.certificate;
    lines.push(e.tls.refused ? `TLS: the handshake is refused: ${e.tls.refused}` : `TLS: options ${e.tls.options}; certificate ${c?.commonName} (${c?.by} match, from ${c?.source}, names ${c?.names.join(', ')}, until ${c?.notAfter})`);
  }
  for (const ev of e.evaluated) lines.push(`  ${ev.matched ? '✔' : '✘'} ${ev.router} (priority ${ev.priority})${ev.reason ? `: ${ev.reason}` : ''}`);
  if (!e.matched) {
    lines.push('no router matches: the request gets 404');
    lines.push((e.traced ? 'the 404 would be traced' : 'the 404 would not be traced') + (e.tracedBecause ? `: ${e.tracedBecause}` : ''));
    if (e.tracingSettings) lines.push('tracing export settings (where each value comes from):', ...settingLines(e.tracingSettings));
    return lines.join('\n');
  }
  if (e.router?.service && !e.service) lines.push(`service ${e.router.service}: not a load balancer here (or it does not exist): the request may fail`);
  lines.push(`matched router ${e.matched}: ${e.router?.rule ?? ''}`);
  if (e.service) lines.push(`service ${e.service.name}: ${e.service.pick}`);
  if (e.router) {
    for (const [k, v] of Object.entries(e.router.observability)) lines.push(`  ${k}: ${String(v)} (from ${e.router.observabilitySources[k] ?? 'default'})`);
  }
  lines.push((e.traced ? 'this request would be traced' : 'this request would not be traced') + (e.tracedBecause ? `: ${e.tracedBecause}` : ''));
  if (e.tracingSettings) lines.push('tracing export settings (where each value comes from):', ...settingLines(e.tracingSettings));
  return lines.join('\n');
}
