import { emptyConfiguration, type Configuration } from '../../dynamic/types.ts';
import { decodeDynamicDocument } from '../../labels/index.ts';
import { compileRule } from '../../rules/index.ts';
import { formatOf, parseSource, tomlHeader } from '../../static/source.ts';

/** One problem in one dynamic configuration file, with where it is. */
export interface FileProblem { file: string; line?: number; path?: string; message: string }

export type FileParse =
  | { ok: true; configuration: Configuration }
  | { ok: false; problems: FileProblem[] };

/**
 * Parses and validates one dynamic configuration file (YAML or TOML by extension). Anything that
 * would silently change routing — a syntax error, an unknown key, a wrong type, a rule that does not
 * parse — fails the whole file, so the provider keeps that file's last good version.
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
  const problems: FileProblem[] = decoded.errors.map((e) => ({
    file, line: e.line, path: e.path,
    message: e.suggestion ? `${e.message} (did you mean "${e.suggestion}"?)` : e.message,
  }));
  for (const [name, router] of Object.entries(decoded.configuration.http.routers)) {
    if (router.rule === undefined) continue;
    const compiled = compileRule(router.rule);
    if (!compiled.ok) {
      const path = ['http', 'routers', name, 'rule'];
      problems.push({ file, line: locate(path), path: path.join('.'), message: `invalid rule: ${compiled.message.replace(/\s*\n\s*/g, ' ')}` });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, configuration: decoded.configuration };
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
