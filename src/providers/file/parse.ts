import type { Configuration } from '../../dynamic/types.ts';
import { decodeDynamicDocument } from '../../labels/index.ts';
import { compileRule } from '../../rules/index.ts';
import { formatOf, parseSource } from '../../static/source.ts';

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
  if (text.trim() === '') return { ok: true, configuration: { http: { routers: {}, services: {}, middlewares: {} } } };
  const { doc, locate, syntaxErrors } = parseSource(text, formatOf(file) ?? 'yaml');
  if (syntaxErrors.length > 0) {
    return { ok: false, problems: syntaxErrors.map((e) => ({ file, line: e.line, message: `syntax error: ${e.message}` })) };
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
