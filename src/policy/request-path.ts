const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/
const ENCODED_TRAVERSAL = /%2e|%2f|%5c/i

/**
 * Paths a router and an upstream could read differently are refused: a dot segment
 * (`/public/../admin`) or an encoded `.`, `/` or `\` would let a request matched by
 * one route reach another path upstream.
 */
export function unsafePathReason (url: string): string | undefined {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  if (path.includes('\\')) return 'backslash in path'
  if (DOT_SEGMENT.test(path)) return 'dot segment in path'
  if (ENCODED_TRAVERSAL.test(path)) return 'encoded dot, slash or backslash in path'
  return undefined
}
