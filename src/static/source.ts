/**
 * Reading a configuration file (YAML or TOML by extension) into a plain document plus a `locate` function
 * that maps a key path, as written, to its 1-based line. YAML positions come from the parser; smol-toml
 * has none, so TOML lines are found by scanning the text for table headers and keys (best effort).
 */
import { Composer, LineCounter, Parser, YAMLParseError, isMap, isSeq, isScalar, isPair } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { parse as parseToml } from 'smol-toml';

/**
 * How deep mappings and lists may nest in a configuration file. Real files nest about 8 levels; the YAML
 * library composes nested collections by recursion and, near the stack's end, can even abort the process
 * (measured on Node 20: two files of 50,000 nested `[` in a row), so deeper files are refused before that.
 */
export const MAX_FILE_NESTING = 100;

export type Locate = (path: readonly (string | number)[]) => number | undefined;

export interface ParsedSource {
  doc: unknown;
  locate: Locate;
  /** Syntax errors; when present `doc` is not usable. */
  syntaxErrors: { line?: number; message: string }[];
}

export type SourceFormat = 'yaml' | 'toml';

/** The format a file name implies, or undefined for an unknown extension. */
export function formatOf(filename: string): SourceFormat | undefined {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.yml') || lower.endsWith('.yaml')) return 'yaml';
  if (lower.endsWith('.toml')) return 'toml';
  return undefined;
}

export function parseSource(text: string, format: SourceFormat): ParsedSource {
  return format === 'yaml' ? parseYaml(text) : parseTomlText(text);
}

/** The offset of the first collection nested deeper than MAX_FILE_NESTING in the CST, if any (no recursion). */
function tooDeep(tokens: readonly object[]): number | undefined {
  const stack: Array<[unknown, number]> = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, outer] = stack.pop()!;
    if (typeof token !== 'object' || token === null) continue;
    const t = token as { type?: string; offset?: number; value?: unknown; key?: unknown; items?: Array<{ key?: unknown; value?: unknown }> };
    const depth = t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection' ? outer + 1 : outer;
    if (depth > MAX_FILE_NESTING) return t.offset ?? 0;
    if (t.value !== undefined) stack.push([t.value, depth]);
    if (t.key !== undefined) stack.push([t.key, depth]);
    if (Array.isArray(t.items)) for (const item of t.items) stack.push([item.key, depth], [item.value, depth]);
  }
  return undefined;
}

/** `yaml.parseDocument`, split so the depth is checked between the (iterative) parser and the (recursive) composer. */
function composeYaml(text: string, lineCounter: LineCounter): Document.Parsed | { deepAt: number } {
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const deepAt = tooDeep(tokens);
  if (deepAt !== undefined) return { deepAt };
  // `merge: true`: Traefik's YAML reader (go-yaml) honours `<<: *anchor` merge keys, so configs use them.
  const composer = new Composer({ prettyErrors: false, merge: true });
  let document: Document.Parsed | undefined;
  for (const doc of composer.compose(tokens, true, text.length)) {
    if (document === undefined) { document = doc; continue; }
    document.errors.push(new YAMLParseError([doc.range[0], doc.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
    break;
  }
  return document!;
}

function parseYaml(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const document = composeYaml(text, lineCounter);
  if ('deepAt' in document) {
    const message = `mappings and lists nest more than ${MAX_FILE_NESTING} levels deep (the limit)`;
    return { doc: undefined, locate: () => undefined, syntaxErrors: [{ line: lineCounter.linePos(document.deepAt).line, message }] };
  }
  const syntaxErrors: ParsedSource['syntaxErrors'] = document.errors.map((e) => ({ line: lineCounter.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! }));
  let doc: unknown;
  if (syntaxErrors.length === 0) {
    // toJS resolves aliases: an unknown one (`*x` without `&x`) or too many (a "billion laughs") throw here.
    try {
      doc = document.toJS();
    } catch (err) {
      syntaxErrors.push({ message: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
    }
  }
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  const locate: Locate = (path) => {
    let node: unknown = document.contents;
    let line: number | undefined = lineOf((node as YamlNode | null)?.range?.[0]);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair === undefined) return line;
        line = lineOf((pair.key as YamlNode).range?.[0]) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return line;
        line = lineOf((item as YamlNode).range?.[0]) ?? line;
        node = item;
      } else {
        return line;
      }
    }
    return line;
  };
  return { doc: syntaxErrors.length > 0 ? undefined : doc, locate, syntaxErrors };
}

interface TomlLine { line: number; path: string[]; header: boolean }

/** Splits a dotted TOML key, honouring quotes: `a."b.c".d` → a, b.c, d. */
function splitTomlKey(key: string): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key)) !== null && m[0] !== '') {
    const raw = m[1]!;
    out.push(raw.startsWith('"') || raw.startsWith("'") ? raw.slice(1, -1) : raw);
    if (re.lastIndex >= key.length) break;
  }
  return out;
}

/**
 * The key of a TOML table header line (`[a.b]`, `[[a.b]]`, an optional comment after), or undefined.
 * Scanned by hand: the regexps this replaces backtracked cubically on a long line of spaces.
 */
export function tomlHeader(line: string): string | undefined {
  const s = line.trim();
  if (!s.startsWith('[')) return undefined;
  const inner = s.startsWith('[[') ? 2 : 1;
  const close = s.indexOf(']', inner);
  if (close === -1) return undefined;
  const key = s.slice(inner, close).trim();
  let after = close + 1;
  if (s[after] === ']') after++;
  const rest = s.slice(after).trimStart();
  return key !== '' && (rest === '' || rest.startsWith('#')) ? key : undefined;
}

/** The key before `=` on a TOML line (bare, dotted or quoted parts), or undefined. */
function tomlKey(line: string): string | undefined {
  let i = 0;
  while (i < line.length && /\s/.test(line[i]!)) i++;
  const start = i;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '=') return i > start ? line.slice(start, i).trim() : undefined;
    if (c === '"' || c === "'") {
      i++;
      while (i < line.length && line[i] !== c) i += c === '"' && line[i] === '\\' ? 2 : 1;
      if (i >= line.length) return undefined;
      i++;
      continue;
    }
    if (!/[A-Za-z0-9_.\s-]/.test(c)) return undefined;
    i++;
  }
  return undefined;
}

function scanToml(text: string): TomlLine[] {
  const out: TomlLine[] = [];
  let table: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const header = tomlHeader(raw);
    if (header !== undefined) {
      table = splitTomlKey(header);
      out.push({ line: i + 1, path: table, header: true });
      return;
    }
    const key = tomlKey(raw);
    if (key !== undefined) out.push({ line: i + 1, path: [...table, ...splitTomlKey(key)], header: false });
  });
  return out;
}

function parseTomlText(text: string): ParsedSource {
  let doc: unknown;
  const syntaxErrors: ParsedSource['syntaxErrors'] = [];
  try {
    doc = parseToml(text, { maxDepth: MAX_FILE_NESTING });
  } catch (err) {
    const e = err as { line?: number; message?: string };
    const message = String(e.message ?? err).split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    syntaxErrors.push({ ...(typeof e.line === 'number' ? { line: e.line } : {}), message });
  }
  const lines = scanToml(text);
  const locate: Locate = (path) => {
    // Array indexes do not appear in TOML keys; match on names only, longest matching prefix wins.
    const names = path.filter((p): p is string => typeof p === 'string');
    let best: TomlLine | undefined;
    for (const l of lines) {
      if (l.path.length > names.length) continue;
      if (!l.path.every((p, i) => p === names[i])) continue;
      if (best === undefined || l.path.length > best.path.length) best = l;
    }
    return best?.line;
  };
  return { doc, locate, syntaxErrors };
}
