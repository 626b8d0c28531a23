/**
 * Reading a configuration file (YAML or TOML by extension) into a plain document plus a `locate` function
 * that maps a key path, as written, to its 1-based line. YAML positions come from the parser; smol-toml
 * has none, so TOML lines are found by scanning the text for table headers and keys (best effort).
 */
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { parse as parseToml } from 'smol-toml';

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

function parseYaml(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  // `merge: true`: Traefik's YAML reader (go-yaml) honours `<<: *anchor` merge keys, so configs use them.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const syntaxErrors = document.errors.map((e) => ({ line: lineCounter.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! }));
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
  return { doc: syntaxErrors.length > 0 ? undefined : document.toJS(), locate, syntaxErrors };
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

function scanToml(text: string): TomlLine[] {
  const out: TomlLine[] = [];
  let table: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/.exec(raw);
    if (header !== null) {
      table = splitTomlKey(header[1]!);
      out.push({ line: i + 1, path: table, header: true });
      return;
    }
    const key = /^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=/.exec(raw);
    if (key !== null) out.push({ line: i + 1, path: [...table, ...splitTomlKey(key[1]!)], header: false });
  });
  return out;
}

function parseTomlText(text: string): ParsedSource {
  let doc: unknown;
  const syntaxErrors: ParsedSource['syntaxErrors'] = [];
  try {
    doc = parseToml(text);
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
