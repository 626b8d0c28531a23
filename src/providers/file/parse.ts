import { LineCounter, parseDocument, isNode } from 'yaml';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { Configuration } from '../../dynamic/types.ts';
import { decodeDynamicDocument } from '../../labels/index.ts';
import { compileRule } from '../../rules/index.ts';

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
  const isToml = file.toLowerCase().endsWith('.toml');
  let doc: unknown;
  let locate: (path: (string | number)[]) => number | undefined;
  if (text.trim() === '') return { ok: true, configuration: { http: { routers: {}, services: {}, middlewares: {} } } };
  if (isToml) {
    try {
      doc = parseToml(text);
    } catch (err) {
      if (err instanceof TomlError) return { ok: false, problems: [{ file, line: err.line, message: `TOML syntax: ${firstLine(err.message)}` }] };
      throw err;
    }
    locate = (path) => tomlLine(text, path);
  } else {
    const lineCounter = new LineCounter();
    const parsed = parseDocument(text, { lineCounter, prettyErrors: false });
    if (parsed.errors.length > 0) {
      return { ok: false, problems: parsed.errors.map((e) => ({ file, line: lineCounter.linePos(e.pos[0]).line, message: `YAML syntax: ${firstLine(e.message)}` })) };
    }
    doc = parsed.toJS() ?? {};
    locate = (path) => {
      // Walk the document with the path as the file spells it (keys may differ in case from the schema).
      const node = parsed.getIn(path, true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      const parent = path.length > 1 ? parsed.getIn(path.slice(0, -1), true) : undefined;
      if (isNode(parent) && parent.range) return lineCounter.linePos(parent.range[0]).line;
      return undefined;
    };
  }
  const decoded = decodeDynamicDocument(doc, locate);
  const problems: FileProblem[] = decoded.errors.map((e) => ({
    file, line: e.line, path: e.path,
    message: e.suggestion ? `${e.message} (did you mean "${e.suggestion}"?)` : e.message,
  }));
  for (const [name, router] of Object.entries(decoded.configuration.http.routers)) {
    if (router.rule === undefined) continue;
    const compiled = compileRule(router.rule);
    if (!compiled.ok) {
      const path = ['http', 'routers', name, 'rule'];
      problems.push({ file, line: locate(path), path: path.join('.'), message: `invalid rule: ${compiled.message.replace(/\n/g, ' ')}` });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, configuration: decoded.configuration };
}

export function formatProblem(p: FileProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/**
 * smol-toml keeps no positions: find the line of a key by scanning for the deepest table header on
 * the path, then the key below it (or a dotted key). Best effort; undefined when not found.
 */
function tomlLine(text: string, path: (string | number)[]): number | undefined {
  const lines = text.split('\n');
  const names = path.filter((p): p is string => typeof p === 'string');
  for (let depth = names.length; depth >= 1; depth--) {
    const header = names.slice(0, depth);
    const rest = names.slice(depth);
    const headerRe = new RegExp(`^\\s*\\[\\[?\\s*${header.map(tomlKeyRe).join('\\s*\\.\\s*')}\\s*\\]\\]?\\s*(#.*)?$`, 'i');
    const start = lines.findIndex((l) => headerRe.test(l));
    if (start === -1) continue;
    if (rest.length === 0) return start + 1;
    const keyRe = new RegExp(`^\\s*${rest.map(tomlKeyRe).join('\\s*\\.\\s*')}\\s*=`, 'i');
    for (let i = start + 1; i < lines.length && !/^\s*\[/.test(lines[i]!); i++) if (keyRe.test(lines[i]!)) return i + 1;
    return start + 1;
  }
  const keyRe = new RegExp(`^\\s*${names.map(tomlKeyRe).join('\\s*\\.\\s*')}\\s*=`, 'i');
  const i = lines.findIndex((l) => keyRe.test(l));
  return i === -1 ? undefined : i + 1;
}

function tomlKeyRe(name: string): string {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `(?:${esc}|"${esc}"|'${esc}')`;
}
