/**
 * Traefik options hold Go (RE2) regular expressions and Go replacement templates (`$1`, `${1}`, `${name}`).
 * JavaScript differs in three places that matter for real configurations: named groups are written
 * `(?P<name>…)`, flags come inline as a leading `(?i)`, and `${1}` is not a JS template. We translate
 * those and keep everything else as written (RE2 is close to a subset of JS syntax).
 */

const LEADING_FLAGS = /^\(\?([imsU]+)\)/;

/**
 * Compiles a Go regular expression.
 * @example
 * compileGoRegex('(?i)^/API/(?P<rest>.*)').exec('/api/x')?.groups?.rest // 'x'
 */
export function compileGoRegex(pattern: string, extraFlags = ''): RegExp {
  let source = pattern;
  let flags = extraFlags;
  const lead = LEADING_FLAGS.exec(source);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'U') throw new Error('the (?U) flag (ungreedy) has no JavaScript equivalent');
      if (!flags.includes(f)) flags += f;
    }
    source = source.slice(lead[0].length);
  }
  source = source.replace(/\(\?P</g, '(?<');
  return new RegExp(source, flags);
}

/**
 * Go's Regexp.Expand: `$$` is a dollar, `$name`/`${name}` a group by number or name (missing → empty),
 * a `$` not followed by a valid name stays literal.
 */
export function expandGoTemplate(template: string, match: RegExpExecArray | RegExpMatchArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar === -1) { out += template.slice(i); break; }
    out += template.slice(i, dollar);
    const rest = template.slice(dollar + 1);
    if (rest.startsWith('$')) { out += '$'; i = dollar + 2; continue; }
    let name: string | undefined;
    let consumed = 0;
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}');
      const inner = close === -1 ? '' : rest.slice(1, close);
      if (close !== -1 && /^\w+$/.test(inner)) { name = inner; consumed = close + 1; }
    } else {
      const m = /^\w+/.exec(rest);
      if (m) { name = m[0]; consumed = m[0].length; }
    }
    if (name === undefined) { out += '$'; i = dollar + 1; continue; }
    out += groupValue(match, name);
    i = dollar + 1 + consumed;
  }
  return out;
}

function groupValue(match: RegExpExecArray | RegExpMatchArray, name: string): string {
  if (/^\d+$/.test(name)) return match[Number(name)] ?? '';
  return match.groups?.[name] ?? '';
}

/**
 * Go's Regexp.ReplaceAllString: every non-overlapping match replaced by the expanded template.
 * @example
 * replaceAllGo(/^\/foo\/(.*)/, '/bar/$1', '/foo/x') // '/bar/x'
 */
export function replaceAllGo(re: RegExp, template: string, input: string): string {
  const global = re.global ? re : new RegExp(re.source, re.flags + 'g');
  let out = '';
  let last = 0;
  let matched = false;
  for (const m of input.matchAll(global)) {
    // Go ignores an empty match that abuts the previous match (so `.*` replaces a string once).
    if (matched && m[0] === '' && m.index === last) continue;
    out += input.slice(last, m.index) + expandGoTemplate(template, m);
    last = m.index! + m[0].length;
    matched = true;
  }
  return out + input.slice(last);
}
