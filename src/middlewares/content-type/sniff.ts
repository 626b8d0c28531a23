/**
 * Go's `http.DetectContentType` (net/http/sniff.go, the WHATWG MIME Sniffing algorithm on at most the first
 * 512 bytes): what Go's server writes as Content-Type when a handler sets none and Traefik's `contentType`
 * middleware lets it. Always returns a type: "application/octet-stream" when nothing else fits.
 * @example
 * detectContentType(Buffer.from('<!DOCTYPE html><p>hi')) // 'text/html; charset=utf-8'
 */
export function detectContentType(data: Buffer): string {
  const head = data.subarray(0, 512);
  let ws = 0;
  while (ws < head.length && isWhitespace(head[ws]!)) ws++;
  const trimmed = head.subarray(ws);
  for (const sig of HTML) if (htmlMatch(trimmed, sig)) return 'text/html; charset=utf-8';
  if (startsWith(trimmed, '<?xml')) return 'text/xml; charset=utf-8';
  for (const [magic, type] of EXACT) if (startsWith(head, magic)) return type;
  for (const [test, type] of MASKED) if (test(head)) return type;
  for (let i = 0; i < head.length; i++) if (isBinary(head[i]!)) return 'application/octet-stream';
  return 'text/plain; charset=utf-8';
}

const HTML = ['<!DOCTYPE HTML', '<HTML', '<HEAD', '<SCRIPT', '<IFRAME', '<H1', '<DIV', '<FONT', '<TABLE', '<A', '<STYLE',
  '<TITLE', '<B', '<BODY', '<BR', '<P', '<!--'];

const EXACT: Array<[string, string]> = [
  ['%PDF-', 'application/pdf'],
  ['%!PS-Adobe-', 'application/postscript'],
  ['\xFE\xFF', 'text/plain; charset=utf-16be'],
  ['\xFF\xFE', 'text/plain; charset=utf-16le'],
  ['\xEF\xBB\xBF', 'text/plain; charset=utf-8'],
  ['\x00\x00\x01\x00', 'image/x-icon'],
  ['\x00\x00\x02\x00', 'image/x-icon'],
  ['BM', 'image/bmp'],
  ['GIF87a', 'image/gif'],
  ['GIF89a', 'image/gif'],
  ['\x89PNG\x0D\x0A\x1A\x0A', 'image/png'],
  ['\xFF\xD8\xFF', 'image/jpeg'],
  ['.snd', 'audio/basic'],
  ['OggS\x00', 'application/ogg'],
  ['MThd\x00\x00\x00\x06', 'audio/midi'],
  ['ID3', 'audio/mpeg'],
  ['\x1A\x45\xDF\xA3', 'video/webm'],
  ['Rar!\x1A\x07\x00', 'application/x-rar-compressed'],
  ['Rar!\x1A\x07\x01\x00', 'application/x-rar-compressed'],
  ['\x00\x61\x73\x6D', 'application/wasm'],
  ['OTTO', 'font/otf'],
  ['\x00\x01\x00\x00', 'font/ttf'],
  ['ttcf', 'font/collection'],
  ['wOFF', 'font/woff'],
  ['wOF2', 'font/woff2'],
  ['\x1F\x8B\x08', 'application/x-gzip'],
  ['PK\x03\x04', 'application/zip'],
];

const MASKED: Array<[(b: Buffer) => boolean, string]> = [
  [(b) => startsWith(b, 'RIFF') && latin1(b, 8, 14) === 'WEBPVP', 'image/webp'],
  [(b) => startsWith(b, 'FORM') && latin1(b, 8, 12) === 'AIFF', 'audio/aiff'],
  [(b) => startsWith(b, 'RIFF') && latin1(b, 8, 12) === 'WAVE', 'audio/wave'],
  [(b) => startsWith(b, 'RIFF') && latin1(b, 8, 12) === 'AVI ', 'video/avi'],
  [isMP4, 'video/mp4'],
];

/** Go's mp4Sig: a box size that fits, "ftyp", and a brand starting "mp4". */
function isMP4(b: Buffer): boolean {
  if (b.length < 12) return false;
  const boxSize = b.readUInt32BE(0);
  if (b.length < boxSize || boxSize % 4 !== 0) return false;
  if (latin1(b, 4, 8) !== 'ftyp') return false;
  for (let st = 8; st < boxSize; st += 4) {
    if (st === 12) continue; // the minor version
    if (latin1(b, st, st + 3) === 'mp4') return true;
  }
  return false;
}

function latin1(b: Buffer, from: number, to: number): string {
  return b.length < to ? '' : b.toString('latin1', from, to);
}

function startsWith(b: Buffer, magic: string): boolean {
  if (b.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[i] !== magic.charCodeAt(i)) return false;
  return true;
}

/** An HTML signature matches case-insensitively and must be followed by a space or ">" (Go's htmlSig). */
function htmlMatch(b: Buffer, sig: string): boolean {
  if (b.length < sig.length + 1) return false;
  for (let i = 0; i < sig.length; i++) {
    let c = b[i]!;
    if (c >= 0x61 && c <= 0x7a && sig.charCodeAt(i) >= 0x41 && sig.charCodeAt(i) <= 0x5a) c -= 0x20;
    if (c !== sig.charCodeAt(i)) return false;
  }
  const next = b[sig.length]!;
  return next === 0x20 || next === 0x3e;
}

function isWhitespace(c: number): boolean {
  return c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
}

/** Go's isBinaryData: control bytes other than TAB, LF, FF, CR and ESC. */
function isBinary(c: number): boolean {
  return c <= 0x08 || c === 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f);
}
