/**
 * `rewrite:` on a route: the upstream path made from the path judged, segment by segment.
 * It runs after the decision, on a path the route already matched, so the match pattern's
 * segments line up with the path's: nothing is decoded, re-parsed or matched again, and no
 * rewrite can change which route decided.
 */

/** `rewrite:` on a route: what path the upstream gets for the path judged. */
export type RewriteConfig =
  | { stripPrefix: string }
  | { to: string }

/** A path judged (as sent, without its query) to the path the upstream gets. */
export type Rewrite = (path: string) => string

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/
const STATIC = /^[A-Za-z0-9._~!$&'()+,;=@%-]*$/

function segmentsOf (pattern: string): string[] {
  return pattern === '/' ? [] : pattern.slice(1).split('/')
}

/** Segments back to a path; none, or one empty one (a trailing slash after nothing), is `/`. */
function pathOf (segments: string[]): string {
  return segments.length === 0 || (segments.length === 1 && segments[0] === '') ? '/' : `/${segments.join('/')}`
}

/**
 * Checks a route's `rewrite` against its (valid) `match` and compiles it; a string says why
 * it cannot be taken.
 */
export function compileRewrite (match: string, rewrite: RewriteConfig): Rewrite | string {
  const from = segmentsOf(match)
  if ('stripPrefix' in rewrite) {
    const prefix = segmentsOf(rewrite.stripPrefix.replace(/\/$/, '') || '/')
    if (prefix.length === 0) return 'stripPrefix / strips nothing'
    const bad = prefix.findIndex((s, i) => s !== from[i] || s.startsWith(':') || s === '*')
    if (bad !== -1) return `stripPrefix ${rewrite.stripPrefix} is not a leading run of static segments of ${match}`
    // The rest goes up as sent (its case too): only the prefix's segments are dropped.
    return path => pathOf(segmentsOf(path).slice(prefix.length))
  }
  const to = segmentsOf(rewrite.to)
  const wildcard = from[from.length - 1] === '*'
  const params = new Map<string, number>()
  for (const [i, s] of from.entries()) if (s.startsWith(':')) params.set(s, i)
  for (const [i, s] of to.entries()) {
    if (s === '*') {
      if (i !== to.length - 1) return '* may only be the last segment'
      if (!wildcard) return `* needs a match ending in /* (${match} has none)`
    } else if (s.startsWith(':')) {
      if (!PARAM.test(s)) return `bad parameter "${s}": write :name`
      if (!params.has(s)) return `${s} is not a parameter of ${match}`
    } else if (s === '' ? i !== to.length - 1 : !STATIC.test(s) || s === '.' || s === '..') {
      return `bad segment "${s}"`
    }
  }
  if (wildcard && to[to.length - 1] !== '*') return `${match} ends in /*: the target must end in /* too, or the rest of the path would be lost`
  // The path's segments past the pattern's fixed ones: the wildcard's rest, or the one
  // trailing slash a non-wildcard route also matches.
  const fixed = wildcard ? from.length - 1 : from.length
  return function rewritePath (path: string): string {
    const segments = segmentsOf(path)
    const rest = segments.slice(fixed)
    const out: string[] = []
    for (const s of to) {
      if (s === '*') out.push(...rest)
      else if (s.startsWith(':')) out.push(segments[params.get(s) as number] as string)
      else out.push(s)
    }
    if (!wildcard) out.push(...rest)
    return pathOf(out)
  }
}
