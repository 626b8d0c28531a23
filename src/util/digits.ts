/** Whether `s` is one or more ASCII digits (0-9), nothing else: no sign, space or exponent, as HTTP's lengths are written. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
