import type { RouteConfig } from '../config/types.js'
import type { RoutingConfig } from '../routing/options.js'
import { buildRouteTable } from '../routing/route-table.js'

export interface NearMatch {
  /** The route's index in `routes`. */
  route: number
  match: string
  methods: string[]
  /** `also-matches`: it matches too, but the router prefers a more specific route. */
  kind: 'also-matches' | 'method' | 'case' | 'slash' | 'prefix'
  why: string
}

type Route = Pick<RouteConfig, 'index' | 'match' | 'urls' | 'methods'>

/** Whether `route` alone, under `routing`, takes `method` on `url`: each question asked of the real router. */
function takes (route: Route, routing: RoutingConfig, method: string, url: string): boolean {
  return buildRouteTable([route], routing, false).find(method, url)?.kind === 'route'
}

/** A route's leading static segments: `/api/orders/:id` → [api, orders]. */
function staticPrefix (match: string): string[] {
  const out: string[] = []
  for (const s of match.split('/').slice(1)) {
    if (s === '*' || s.startsWith(':') || s === '') break
    out.push(s)
  }
  return out
}

/**
 * Routes a request nearly reached, and why it did not: another method, letter case or a
 * trailing slash the config's routing does not fold, a missing or extra leading prefix, a
 * static part that only shares its start with the path. With a route matched, the routes
 * that match too but lose to it (the router takes the most specific) are listed first.
 * Every "would match" is the router's answer for the altered request, never a guess.
 */
export function nearMatches (routes: readonly Route[], routing: RoutingConfig, method: string, path: string, matched: number | undefined): NearMatch[] {
  const out: NearMatch[] = []
  const add = (r: Route, kind: NearMatch['kind'], why: string): void => {
    if (!out.some(n => n.route === r.index)) out.push({ route: r.index, match: r.match, methods: [...r.methods], kind, why })
  }
  const winner = routes.find(r => r.index === matched)
  const fold = (s: string): string => routing.caseSensitive ? s : s.toLowerCase()
  for (const r of routes) {
    if (r.index !== matched && takes(r, routing, method, path)) {
      add(r, 'also-matches', `matches too, but routes[${String(matched)}] (${winner?.match ?? ''}) is more specific and the router takes it`)
    }
  }
  for (const r of routes) {
    if (r.index === matched) continue
    if (!r.methods.includes(method as never) && r.methods.some(m => takes(r, routing, m, path))) {
      add(r, 'method', `matches the path but takes ${r.methods.join(', ')}, not ${method}`)
      continue
    }
    if (routing.caseSensitive && takes(r, { ...routing, caseSensitive: false }, method, path)) {
      add(r, 'case', 'differs only in letter case, and server.routing.caseSensitive is on')
      continue
    }
    if (!routing.ignoreTrailingSlash && takes(r, { ...routing, ignoreTrailingSlash: true }, method, path)) {
      add(r, 'slash', 'differs only by a trailing slash, and server.routing.ignoreTrailingSlash is off')
      continue
    }
    // A missing or extra prefix is only worth saying when nothing matched: a wildcard route takes any tail.
    if (matched !== undefined) continue
    const segments = path.split('/').slice(1)
    const dropped = segments.findIndex((_s, k) => k > 0 && takes(r, routing, method, `/${segments.slice(k).join('/')}`))
    if (dropped > 0) {
      add(r, 'prefix', `would match without the leading /${segments.slice(0, dropped).join('/')}`)
      continue
    }
    const prefix = staticPrefix(r.match)
    // The path starts where the route's static part goes on (`/orders/5` for `/api/orders/*`): only its head is missing.
    const missing = prefix.findIndex(
      (_s, k) =>
        k > 0 && `${fold(path)}/`.startsWith(`/${fold(prefix.slice(k).join('/'))}/`) && takes(r, routing, method, `/${prefix.slice(0, k).join('/')}${path}`)
    )
    if (missing > 0) {
      add(r, 'prefix', `would match under /${prefix.slice(0, missing).join('/')}`)
      continue
    }
    const base = `/${prefix.join('/')}`
    if (
      prefix.length > 0 &&
      r.methods.includes(method as never) &&
      fold(path).startsWith(fold(base)) &&
      path.length > base.length &&
      path[base.length] !== '/'
    ) {
      add(r, 'prefix', `its static part ${base} is only the start of a segment of ${path}: patterns match whole segments`)
    }
  }
  return out
}
