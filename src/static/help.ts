import type { FieldDesc, StructDesc } from '../labels/descriptor.ts';
import { formatDuration } from '../util/duration.ts';
import { staticDesc } from './describe.ts';

function show(field: FieldDesc, value: unknown): string {
  if (typeof value === 'string' && field.kind === 'int') return value; // defaultText
  if (field.kind === 'duration' && typeof value === 'number') return formatDuration(value);
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return 'none';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

const KIND: Record<FieldDesc['kind'], string> = {
  string: 'string', int: 'integer', float: 'number', bool: 'bool', duration: 'duration',
  stringList: 'list', floatList: 'numbers', stringMap: 'name=value', struct: 'section', structMap: 'section', structList: 'list',
};

function walk(desc: StructDesc, prefix: string, out: string[]): void {
  for (const [name, field] of Object.entries(desc.fields)) {
    const key = `${prefix}${name}`;
    if (field.kind === 'struct') {
      if (field.allowEmpty === true) out.push(row(key, 'section', `Enables ${name} (off unless set).`));
      walk(field.struct!, `${key}.`, out);
      continue;
    }
    if (field.kind === 'structMap') { walk(field.struct!, `${key}.<name>.`, out); continue; }
    const kind = field.values !== undefined ? field.values.join('|') : KIND[field.kind];
    const target = field.kind === 'stringMap' ? `${key}.<name>` : key;
    const def = field.default !== undefined ? ` (default: ${show(field, field.default)})` : '';
    out.push(row(target, kind, `${field.description ?? ''}${def}`.trim()));
  }
}

function row(key: string, kind: string, text: string): string {
  return `  --${key} <${kind}>\n      ${text}`;
}

/**
 * `tagway --help`: every static option with its type and default, generated from the schema.
 * @example
 * process.stdout.write(helpText());
 */
export function helpText(): string {
  const lines = [
    'Usage: tagway [--configFile=FILE] [--option=value ...]',
    '',
    'Static configuration, in increasing precedence: --configFile (YAML or TOML), flags, TAGWAY_* env',
    '(e.g. --providers.consulCatalog.endpoint.address=… or TAGWAY_PROVIDERS_CONSULCATALOG_ENDPOINT_ADDRESS=…).',
    'Names are case-insensitive; lists are comma-separated; durations are Go-style (10s, 1m30s) or whole seconds.',
    '',
    '  --configFile <file>\n      Static configuration file (.yml, .yaml or .toml).',
  ];
  walk(staticDesc(), '', lines);
  return `${lines.join('\n')}\n`;
}
