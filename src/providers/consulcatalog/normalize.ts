/**
 * Traefik's `provider.Normalize`: every run of characters that is neither a letter nor a digit
 * (Unicode-aware, like Go's unicode.IsLetter/IsNumber) becomes one `-`; leading and trailing runs vanish.
 *
 * @example
 * normalize('dev/Test') // 'dev-Test'
 * normalize('__a..b__') // 'a-b'
 */
export function normalize(name: string): string {
  return name.split(/[^\p{L}\p{N}]+/u).filter(Boolean).join('-');
}
