/**
 * Where the browser goes back to after login: a path of this gateway, never another site.
 * `//evil.example` and `/\evil.example` are protocol-relative to a browser, and control
 * characters can split a header: such a target becomes `/`.
 */
export function safeReturnPath (target: string | undefined): string {
  if (target === undefined || target.length > 2048) return '/'
  if (target.charCodeAt(0) !== 47 || target.charCodeAt(1) === 47 || target.charCodeAt(1) === 92) return '/'
  if (/[\x00-\x20\x7f\\]/.test(target)) return '/'
  return target
}
