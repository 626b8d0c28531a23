import { emptyConfiguration, type Configuration } from '../../dynamic/types.ts';
import { decodeDynamicDocument } from '../../labels/index.ts';
import { compileRule } from '../../rules/index.ts';
import { formatOf, parseSource, tomlHeader } from '../../static/source.ts';

/** One problem in one dynamic configuration file, with where it is. */
export interface FileProblem { file: string; line?: number; path?: string; message: string }
/** A problem inside one router, service or middleware: that item is left out, the rest of the file applies. */
export interface ItemProblem extends FileProblem { kind: 'router' | 'service' | 'middleware'; name: string }

export type FileParse =
  | { ok: true; configuration: Configuration; itemProblems?: ItemProblem[] }
  | { ok: false; problems: FileProblem[] };

/**
 * Parses and validates one dynamic configuration file (YAML or TOML by extension). A problem inside one router,
 * service or middleware — an unknown or unsupported key, a wrong type, a rule that does not parse — leaves that
 * item out (`itemProblems`: the provider reports it on the item, disabled) and the rest of the file applies, as
 * "a bad item disables only what it touches". A problem of the file itself — a syntax error, an unknown section,
 * a bad `tls` or `serversTransports` entry — fails the whole file, so the provider keeps its last good version.
 */
export function parseDynamicFile(file: string, text: string): FileParse {
  if (text.trim() === '') return { ok: true, configuration: emptyConfiguration() };
  const { doc, locate, syntaxErrors } = parseSource(text, formatOf(file) ?? 'yaml');
  if (syntaxErrors.length > 0) {
    return {
      ok: false,
      problems: syntaxErrors.map((e) => {
        const near = e.line === undefined ? undefined : keyPathAtLine(text, e.line, formatOf(file) ?? 'yaml');
        return { file, line: e.line, ...(near ? { path: near } : {}), message: `syntax error: ${e.message}` };
      }),
    };
  }
  const decoded = decodeDynamicDocument(doc ?? {}, locate);
  const problems: FileProblem[] = [];
  const itemProblems: ItemProblem[] = [];
  for (const e of decoded.errors) {
    const problem: FileProblem = { file, line: e.line, path: e.path, message: e.suggestion ? `${e.message} (did you mean "${e.suggestion}"?)` : e.message };
    if (e.item) itemProblems.push({ ...problem, ...e.item });
    else problems.push(problem);
  }
  for (const [name, router] of Object.entries(decoded.configuration.http.routers)) {
    if (router.rule === undefined) continue;
    const compiled = compileRule(router.rule);
    if (!compiled.ok) {
      const path = ['http', 'routers', name, 'rule'];
      itemProblems.push({ file, line: locate(path), path: path.join('.'), message: `invalid rule: ${compiled.message.replace(/\s*\n\s*/g, ' ')}`, kind: 'router', name });
    }
  }
  if (problems.length > 0) return { ok: false, problems: [...problems, ...itemProblems] };
  const configuration = decoded.configuration;
  for (const p of itemProblems) {
    const items: Record<string, unknown> = p.kind === 'router' ? configuration.http.routers : p.kind === 'service' ? configuration.http.services : configuration.http.middlewares;
    delete items[p.name];
  }
  return itemProblems.length > 0 ? { ok: true, configuration, itemProblems } : { ok: true, configuration };
}

export function formatProblem(p: FileProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

// A plain key ends on a non-space before the spaces and the colon: no two parts of the pattern can take the same
// space, so a long line of spaces costs linear time (the lazy `[^:#]*?\s*:` this replaces was quadratic).
const YAML_KEY = /^(\s*)(?:-\s+)?(?:"([^"]*)"|'([^']*)'|([^\s#"'](?:[^:#]*[^\s:#])?))\s*:(?:\s|$)/;
const TOML_KEY = /^\s*([A-Za-z0-9_."'-]+?)\s*=/;

/**
 * The key path a syntax error sits under, read from the text around it (the parser has no document to
 * give one): for YAML the keys of the lines above with a smaller indentation, plus the key on the line;
 * for TOML the last table header plus the key on the line. Best effort, for the error message only.
 *
 * @example
 * keyPathAtLine('http:\n  routers:\n    r:\n     rule: x\n', 4, 'yaml') // 'http.routers.r.rule'
 */
export function keyPathAtLine(text: string, line: number, format: 'yaml' | 'toml'): string | undefined {
  const lines = text.split(/\r?\n/).slice(0, line);
  if (format === 'toml') {
    let table: string | undefined;
    for (const l of lines) { const h = tomlHeader(l); if (h !== undefined) table = h.replace(/\s*\.\s*/g, '.'); }
    const key = TOML_KEY.exec(lines[line - 1] ?? '')?.[1];
    return [table, key].filter(Boolean).join('.') || undefined;
  }
  const stack: Array<{ indent: number; key: string }> = [];
  for (const l of lines) {
    const m = YAML_KEY.exec(l);
    if (!m) continue;
    const indent = l.length - l.trimStart().length + (/^\s*-\s/.test(l) ? l.trimStart().length - l.trimStart().replace(/^-\s+/, '').length : 0);
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    stack.push({ indent, key: m[2] ?? m[3] ?? m[4]! });
  }
  return stack.length > 0 ? stack.map((e) => e.key).join('.') : undefined;
}
