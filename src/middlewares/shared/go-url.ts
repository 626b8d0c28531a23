/**
 * Why Go's `url.Parse` refuses a URL, for the cases a redirect's rewritten Location can hit (Traefik answers
 * 502 then): a control character, a `%` not followed by two hex digits, or in the host an escape of an ASCII
 * byte other than `%25` (Go accepts only `%25` and non-ASCII escapes there). Undefined when Go would parse it.
 * @example
 * goURLParseError('http://192.168.0.%31/') // 'invalid URL escape "%31"'
 */
export function goURLParseError(url: string): string | undefined {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return 'invalid control character in URL';
  }
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  const authorityEnd = scheme ? url.slice(scheme[0].length).search(/[/?#]/) : -1;
  const authority = scheme ? url.slice(scheme[0].length, authorityEnd === -1 ? undefined : scheme[0].length + authorityEnd) : '';
  const hostStart = scheme ? scheme[0].length + authority.lastIndexOf('@') + 1 : 0;
  const hostEnd = scheme ? scheme[0].length + authority.length : 0;
  for (let i = url.indexOf('%'); i !== -1; i = url.indexOf('%', i + 1)) {
    const escape = url.slice(i, i + 3);
    if (!/^%[0-9A-Fa-f]{2}$/.test(escape)) return `invalid URL escape ${JSON.stringify(escape)}`;
    if (i >= hostStart && i < hostEnd && escape !== '%25' && parseInt(escape[1]!, 16) < 8) return `invalid URL escape ${JSON.stringify(escape)}`;
  }
  return undefined;
}
