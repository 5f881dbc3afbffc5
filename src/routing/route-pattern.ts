const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/
const STATIC = /^[A-Za-z0-9._~!$&'()+,;=@%-]*$/

/**
 * A route `match` to the router paths it covers: `/a/:id` is one segment, `/a/*` is `/a`,
 * `/a/` and everything below. Returns an error message for a pattern it cannot take.
 */
export function compileRoutePattern (match: string): { urls: string[] } | string {
  if (!match.startsWith('/')) return 'a pattern starts with /'
  const segments = match.slice(1).split('/')
  const wildcard = segments[segments.length - 1] === '*'
  if (wildcard) segments.pop()
  for (const [i, s] of segments.entries()) {
    if (s === '' && !(i === segments.length - 1 && !wildcard)) return 'empty segment (//) in pattern'
    if (s.includes('*')) return '* may only be the last segment (/prefix/*)'
    if (s.startsWith(':')) {
      if (!PARAM.test(s)) return `bad parameter "${s}": write :name`
    } else if (!STATIC.test(s) || s === '.' || s === '..') {
      return `bad segment "${s}"`
    }
  }
  if (!wildcard) return { urls: [match] }
  const prefix = segments.length === 0 ? '' : `/${segments.join('/')}`
  return { urls: prefix === '' ? ['/*'] : [prefix, `${prefix}/*`] }
}
