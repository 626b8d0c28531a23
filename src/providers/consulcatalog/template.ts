import { normalize } from './normalize.ts';

/**
 * The subset of Go's text/template that Traefik users write in `defaultRule`: text, `{{ .Name }}`,
 * `{{ .Labels }}` with `index`, the function `normalize` (Traefik's) and a few sprig string helpers
 * (`lower`, `upper`, `trimPrefix`, `trimSuffix`, `replace`), pipelines (`{{ .Name | normalize }}`),
 * `{{- -}}` trim markers and comments. Anything else (`if`, `range`, variables...) is refused when the
 * template is compiled, with the construct named, instead of being silently mis-rendered.
 * As in Go, a field that does not exist (`{{ .Toto }}`) fails when the template runs, and `index` on a
 * missing label gives "".
 */

export interface RuleModel { Name: string; Labels: Record<string, string> }

/** The longest template accepted (characters), and the longest value it may produce: the rule limit. */
export const MAX_TEMPLATE_LENGTH = 16384;
export const MAX_TEMPLATE_OUTPUT = 16384;
export type RuleTemplate = (model: RuleModel) => string;

export class TemplateError extends Error {
  readonly code: 'TAGWAY_TEMPLATE_SYNTAX' | 'TAGWAY_TEMPLATE_EXEC';
  constructor(code: 'TAGWAY_TEMPLATE_SYNTAX' | 'TAGWAY_TEMPLATE_EXEC', message: string) {
    super(message);
    this.name = 'TemplateError';
    this.code = code;
  }
}

type Value = string | Record<string, string> | undefined;
type Arg = { kind: 'field'; path: string[] } | { kind: 'dot' } | { kind: 'string'; value: string } | { kind: 'func'; name: string };
type Command = Arg[];
type Node = { kind: 'text'; value: string } | { kind: 'action'; pipeline: Command[] };

const FUNCS: Record<string, { arity: number; fn: (...args: Value[]) => Value }> = {
  normalize: { arity: 1, fn: (s) => normalize(asString(s, 'normalize')) },
  lower: { arity: 1, fn: (s) => asString(s, 'lower').toLowerCase() },
  upper: { arity: 1, fn: (s) => asString(s, 'upper').toUpperCase() },
  trimPrefix: { arity: 2, fn: (p, s) => { const str = asString(s, 'trimPrefix'), pre = asString(p, 'trimPrefix'); return str.startsWith(pre) ? str.slice(pre.length) : str; } },
  trimSuffix: { arity: 2, fn: (p, s) => { const str = asString(s, 'trimSuffix'), suf = asString(p, 'trimSuffix'); return suf && str.endsWith(suf) ? str.slice(0, -suf.length) : str; } },
  replace: { arity: 3, fn: (o, n, s) => replaceAll(asString(s, 'replace'), asString(o, 'replace'), asString(n, 'replace')) },
  index: { arity: 2, fn: (m, k) => {
    if (m === undefined) return '';
    if (typeof m !== 'object') throw new TemplateError('TAGWAY_TEMPLATE_EXEC', 'index of a non-map value');
    return Object.hasOwn(m, asString(k, 'index')) ? m[asString(k, 'index')] : '';
  } },
};

/** A word of a command: anything up to a space, `|`, a parenthesis or a quote (sticky: no copy of the rest). */
const WORD = /[^\s|()"`]+/y;

const UNSUPPORTED = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/**
 * Parses `source` once. Throws `TemplateError` (code TAGWAY_TEMPLATE_SYNTAX) for syntax errors and
 * unsupported constructs; the returned function throws TAGWAY_TEMPLATE_EXEC for run-time errors.
 *
 * @example
 * const rule = compileRuleTemplate('Host(`{{ normalize .Name }}.example.com`)');
 * rule({ Name: 'my_api', Labels: {} }) // 'Host(`my-api.example.com`)'
 */
export function compileRuleTemplate(source: string): RuleTemplate {
  if (source.length > MAX_TEMPLATE_LENGTH) {
    throw new TemplateError('TAGWAY_TEMPLATE_SYNTAX', `template is ${source.length} characters long, more than the limit of ${MAX_TEMPLATE_LENGTH}`);
  }
  const nodes = parse(source);
  return function renderRule(model: RuleModel): string {
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') { out += node.value; continue; }
      const value = runPipeline(node.pipeline, model);
      if (value !== undefined && typeof value !== 'string') {
        throw new TemplateError('TAGWAY_TEMPLATE_EXEC', 'a map cannot be printed; use index .Labels "key"');
      }
      out += value ?? '';
      checkLength(out.length);
    }
    return out;
  };
}

function checkLength(length: number): void {
  if (length > MAX_TEMPLATE_OUTPUT) {
    throw new TemplateError('TAGWAY_TEMPLATE_EXEC', `the template's result would be ${length} characters long, more than the limit of ${MAX_TEMPLATE_OUTPUT}`);
  }
}

/**
 * Go's strings.Replace(s, old, new, -1), sized before it is built: a chain of `replace` can multiply the
 * length of a label value at each step. An empty `old` matches before every character and at the end, as in Go.
 */
function replaceAll(s: string, old: string, replacement: string): string {
  const parts = old === '' ? ['', ...Array.from(s), ''] : s.split(old);
  checkLength(s.length + (parts.length - 1) * (replacement.length - old.length));
  return parts.join(replacement);
}

function fail(source: string, message: string): never {
  throw new TemplateError('TAGWAY_TEMPLATE_SYNTAX', `template ${JSON.stringify(source)}: ${message}`);
}

function parse(source: string): Node[] {
  const nodes: Node[] = [];
  let i = 0;
  let trimNext = false;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    let text = source.slice(i, open < 0 ? source.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) { if (text) nodes.push({ kind: 'text', value: text }); break; }
    let start = open + 2;
    if (source.startsWith('- ', start) || source.startsWith('-\t', start) || source.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) nodes.push({ kind: 'text', value: text });
    const close = findClose(source, start);
    if (close < 0) fail(source, 'unclosed action "{{"');
    let end = close;
    if (/\s-$/.test(source.slice(start, close))) { end = close - 1; trimNext = true; }
    const body = source.slice(start, end).trim();
    i = close + 2;
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) fail(source, 'unclosed comment');
      continue;
    }
    if (body === '') fail(source, 'missing value for command');
    nodes.push({ kind: 'action', pipeline: parsePipeline(source, body) });
  }
  return nodes;
}

/** The "}}" closing an action, skipping string literals (a rule may contain "}}" in quotes). */
function findClose(source: string, from: number): number {
  for (let j = from; j < source.length; j++) {
    const c = source[j];
    if (c === '"') { j++; while (j < source.length && source[j] !== '"') { if (source[j] === '\\') j++; j++; } continue; }
    if (c === '`') { const e = source.indexOf('`', j + 1); if (e < 0) return -1; j = e; continue; }
    if (c === '}' && source[j + 1] === '}') return j;
  }
  return -1;
}

function parsePipeline(source: string, body: string): Command[] {
  const commands: Command[] = [[]];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '|') { commands.push([]); i++; continue; }
    const cmd = commands[commands.length - 1]!;
    if (c === '"') {
      let j = i + 1, value = '';
      while (j < body.length && body[j] !== '"') {
        if (body[j] === '\\') { const n = body[j + 1]; value += n === 'n' ? '\n' : n === 't' ? '\t' : (n ?? ''); j += 2; continue; }
        value += body[j];
        j++;
      }
      if (j >= body.length) fail(source, 'unterminated quoted string');
      cmd.push({ kind: 'string', value });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const e = body.indexOf('`', i + 1);
      if (e < 0) fail(source, 'unterminated raw string');
      cmd.push({ kind: 'string', value: body.slice(i + 1, e) });
      i = e + 1;
      continue;
    }
    if (c === '$') fail(source, 'variables ($x) are not supported in defaultRule');
    if (c === '(') fail(source, 'parenthesized pipelines are not supported in defaultRule');
    if (c === ')') fail(source, 'unexpected ")" in command');
    WORD.lastIndex = i;
    const word = WORD.exec(body)![0];
    i += word.length;
    if (word === '.') { cmd.push({ kind: 'dot' }); continue; }
    if (word.startsWith('.')) {
      const path = word.slice(1).split('.');
      if (path.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) fail(source, `bad field ${word}`);
      cmd.push({ kind: 'field', path });
      continue;
    }
    if (UNSUPPORTED.has(word)) fail(source, `"${word}" is not supported in defaultRule (supported: fields .Name and .Labels, functions ${Object.keys(FUNCS).join(', ')}, pipelines)`);
    if (!Object.hasOwn(FUNCS, word)) fail(source, `function "${word}" not defined (supported: ${Object.keys(FUNCS).join(', ')})`);
    cmd.push({ kind: 'func', name: word });
  }
  for (const [n, cmd] of commands.entries()) {
    if (cmd.length === 0) fail(source, 'missing command in pipeline');
    const head = cmd[0]!;
    if (head.kind !== 'func') {
      if (cmd.length > 1) fail(source, 'cannot give arguments to a non-function');
      if (n > 0) fail(source, 'only functions can follow "|" in a pipeline');
      continue;
    }
    if (cmd.slice(1).some((a) => a.kind === 'func')) fail(source, 'nested function calls need parentheses, which are not supported');
    const given = cmd.length - 1 + (n > 0 ? 1 : 0);
    const want = FUNCS[head.name]!.arity;
    if (given !== want) fail(source, `wrong number of args for ${head.name}: want ${want} got ${given}`);
  }
  return commands;
}

function runPipeline(pipeline: Command[], model: RuleModel): Value {
  let piped: Value;
  pipeline.forEach((cmd, n) => {
    const head = cmd[0]!;
    if (head.kind !== 'func') { piped = evalArg(head, model); return; }
    const args = cmd.slice(1).map((a) => evalArg(a, model));
    if (n > 0) args.push(piped);
    piped = FUNCS[head.name]!.fn(...args);
  });
  return piped;
}

function evalArg(arg: Arg, model: RuleModel): Value {
  if (arg.kind === 'string') return arg.value;
  if (arg.kind === 'dot') throw new TemplateError('TAGWAY_TEMPLATE_EXEC', 'the whole model (.) cannot be used; use .Name or .Labels');
  if (arg.kind === 'func') throw new TemplateError('TAGWAY_TEMPLATE_EXEC', `unexpected function ${arg.name}`);
  const [head, ...rest] = arg.path;
  let value: Value;
  if (head === 'Name') value = model.Name;
  else if (head === 'Labels') value = model.Labels;
  else throw new TemplateError('TAGWAY_TEMPLATE_EXEC', `can't evaluate field ${head} (the model has Name and Labels)`);
  for (const key of rest) {
    // Go templates resolve `.Labels.key` as a map lookup; a missing key gives "<no value>" in Go,
    // we give "" because a rule containing "<no value>" is never what the operator meant.
    if (typeof value !== 'object') throw new TemplateError('TAGWAY_TEMPLATE_EXEC', `can't evaluate field ${key} of a string`);
    value = Object.hasOwn(value, key) ? value[key] : '';
  }
  return value;
}

function asString(v: Value, fn: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new TemplateError('TAGWAY_TEMPLATE_EXEC', `${fn} expects a string, got a map`);
  return v;
}
