import type { GatewayConfig, RouteConfig } from './types.js'
import type { RoutingConfig } from '../routing/options.js'
import type { PolicyName } from './schema.js'
import { buildRouteTable } from '../routing/route-table.js'

/** A valid config that probably does not do what its author meant; `hint`s are softer still. */
export interface Warning {
  /** Key path of what to look at, as in config errors. */
  path: Array<string | number>
  message: string
  level: 'warning' | 'hint'
}

type Checked = Pick<GatewayConfig, 'server' | 'authenticators' | 'routes'>

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i

function needsUser (p: PolicyName): boolean { return p === 'user' || p === 'client+user' }
function needsClient (p: PolicyName): boolean { return p === 'client' || p === 'client+user' }

/**
 * Scopes, claims and a client allow-list hold for every method of a route: on a method whose
 * policy leaves the principal optional, a request without it is refused all the same (401),
 * so `policy: { GET: public, "*": user }` with `scopes` makes GET need a user after all.
 */
function rulesOnOptionalPrincipals (r: RouteConfig): Warning[] {
  const out: Warning[] = []
  const methods = (test: (p: PolicyName) => boolean): string[] => r.methods.filter(m => test(r.policy[m] as PolicyName))
  const described = (ms: string[]): string => ms.map(m => `${m} (${r.policy[m] ?? ''})`).join(', ')
  const publicOnes = methods(p => p === 'public')
  if (r.scopes.length > 0 && publicOnes.length > 0) {
    const who = r.user.length > 0 ? 'user' : 'client'
    out.push({
      path: ['routes', r.index, 'scopes'],
      level: 'warning',
      message: `scopes apply to every method of the route, so ${described(publicOnes)} then need a ${who} holding ` +
        `${r.scopes.join(' ')} (without one: 401); put the scopes on a route of their own for the protected methods`
    })
  }
  const noUser = methods(p => !needsUser(p))
  if (r.requireClaims.length > 0 && noUser.length > 0) {
    out.push({
      path: ['routes', r.index, 'require'],
      level: 'warning',
      message: `require.claims applies to every method of the route, so ${described(noUser)} then need ` +
        'a user (without one: 401); put the claims on a route of their own for the methods that need them'
    })
  }
  const noClient = methods(p => !needsClient(p))
  if (r.clients !== undefined && noClient.length > 0) {
    out.push({
      path: ['routes', r.index, 'clients'],
      level: 'warning',
      message: `the clients allow-list applies to every method of the route, so ${described(noClient)} then need one of those clients (without one: 401)`
    })
  }
  return out
}

type Segment = { param: true } | { param: false, text: string }

function segmentsOf (match: string, routing: RoutingConfig): { segments: Segment[], wildcard: boolean } {
  const parts = match.split('/').slice(1)
  const wildcard = parts[parts.length - 1] === '*'
  if (wildcard || (routing.ignoreTrailingSlash && parts[parts.length - 1] === '')) parts.pop()
  return {
    segments: parts.map(p => p.startsWith(':') ? { param: true } : { param: false, text: routing.caseSensitive ? p : p.toLowerCase() }),
    wildcard
  }
}

type Pattern = ReturnType<typeof segmentsOf>

/** A path both patterns match (segments, params filled in), or undefined when they share none. */
function commonPath (a: Pattern, b: Pattern): string[] | undefined {
  const out: string[] = []
  for (let i = 0; ; i++) {
    const sa = a.segments[i]
    const sb = b.segments[i]
    if (sa === undefined && sb === undefined) return out
    if (sa === undefined || sb === undefined) {
      // One pattern has ended: only its wildcard can take what the other goes on with.
      const [ended, other] = sa === undefined ? [a, b] : [b, a]
      if (!ended.wildcard) return undefined
      return [...out, ...other.segments.slice(i).map(s => s.param ? 'x' : s.text)]
    }
    if (!sa.param && !sb.param && sa.text !== sb.text) return undefined
    out.push(!sa.param ? sa.text : !sb.param ? sb.text : 'x')
  }
}

/** Whether every path `inner` matches, `outer` matches too. */
function covers (outer: Pattern, inner: Pattern): boolean {
  for (let i = 0; ; i++) {
    const so = outer.segments[i]
    const si = inner.segments[i]
    if (so === undefined) return outer.wildcard || (si === undefined && !inner.wildcard)
    if (si === undefined) return false
    if (!so.param && (si.param || si.text !== so.text)) return false
  }
}

/**
 * Two routes that match some of the same requests without either containing the other
 * (`/api/:version/orders` and `/api/v1/*`): which one runs is the router's choice, static
 * segments first, not the order in the file. One pattern inside another (`/api/*` and
 * `/api/admin/*`) is the usual override and not reported.
 */
function shadowing (routes: readonly RouteConfig[], routing: RoutingConfig): Warning[] {
  const out: Warning[] = []
  const table = buildRouteTable(routes, routing, false)
  for (const [j, b] of routes.entries()) {
    for (const a of routes.slice(0, j)) {
      const method = a.methods.find(m => b.methods.includes(m))
      if (method === undefined) continue
      const pa = segmentsOf(a.match, routing)
      const pb = segmentsOf(b.match, routing)
      if (covers(pa, pb) || covers(pb, pa)) continue
      const common = commonPath(pa, pb)
      if (common === undefined) continue
      const path = `/${common.join('/')}`
      const hit = table.find(method, path)
      const winner = hit?.kind === 'route' ? hit.index : undefined
      if (winner !== a.index && winner !== b.index) continue
      const loser = winner === a.index ? b : a
      const won = winner === a.index ? a : b
      out.push({
        path: ['routes', b.index, 'match'],
        level: 'warning',
        message: `routes[${a.index}] (${a.match}) and routes[${b.index}] (${b.match}) both match requests like ${method} ${path}; ` +
          `the router gives them to routes[${won.index}] (${won.match}), so routes[${loser.index}]'s policy does not apply there`
      })
    }
  }
  return out
}

/** Computed once per config (check prints them, the gateway logs them when it starts). */
export function configWarnings (config: Checked): Warning[] {
  const out: Warning[] = []
  const { server } = config
  for (const r of config.routes) out.push(...rulesOnOptionalPrincipals(r))
  for (const [name, a] of config.authenticators) {
    if (a.type === 'jwt' && (a.spec as { audience?: unknown }).audience === false) {
      out.push({
        path: ['authenticators', name, 'audience'],
        level: 'warning',
        message: 'audience: false accepts tokens the identity provider issued for any API: a token meant for another service passes here'
      })
    }
  }
  const logins = [...config.authenticators].filter(([, a]) => a.type === 'oidc').map(([name]) => name)
  if (logins.length > 0 && server.publicOrigins.length === 0) {
    out.push({
      path: ['server', 'publicOrigins'],
      level: 'warning',
      message: `the browser login (${logins.join(', ')}) builds its redirect_uri and CSRF origin from the Host the ` +
        'client sends: list the origins browsers use (https://app.example.com) so any other Host is refused (421)'
    })
  }
  if (server.trustProxy === true && !LOOPBACK.test(server.listen.host)) {
    out.push({
      path: ['server', 'trustProxy'],
      level: 'warning',
      message: `trustProxy: true believes X-Forwarded-For from every peer, and the gateway listens on ${server.listen.host}: ` +
        'any client picks its own address (rate limits by ip, logs); list the proxies\' addresses or CIDRs, or a hop count'
    })
  }
  if (server.admin !== undefined && !LOOPBACK.test(server.admin.host) && server.adminToken === undefined) {
    out.push({
      path: ['server', 'admin'],
      level: 'warning',
      message: `the admin listener is on ${server.admin.host}, beyond loopback, without ` +
        'server.adminToken: anyone who reaches it reads /metrics and purges the cache'
    })
  }
  if (server.decisions !== undefined && !LOOPBACK.test(server.decisions.host) && server.decisionsToken === undefined) {
    out.push({
      path: ['server', 'decisions'],
      level: 'warning',
      message: `the decision API is on ${server.decisions.host}, beyond loopback, without ` +
        'server.decisionsToken: anyone who reaches it mints identity answers and names any client address'
    })
  }
  out.push(...shadowing(config.routes, server.routing))
  for (const r of config.routes) {
    if (!r.methods.every(m => r.policy[m] === 'public')) continue
    const protectedBy = config.routes.filter(o => o.upstream === r.upstream && o.methods.some(m => o.policy[m] !== 'public'))
    if (protectedBy.length === 0) continue
    out.push({
      path: ['routes', r.index, 'policy'],
      level: 'hint',
      message: `a public route to upstream ${r.upstream}, which ${protectedBy.map(o => `routes[${o.index}] (${o.match})`).join(', ')} ` +
        `protect: anything ${r.upstream} serves under ${r.match} is reachable without credentials`
    })
  }
  return out
}
