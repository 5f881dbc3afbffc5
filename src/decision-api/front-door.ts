import { isIP } from 'node:net'
import type { Gateway, RuntimeRoute } from '../gateway.js'
import type { Outcome } from '../decision/decide.js'
import { upgradeRequested, type DecisionRequest, type RequestHeaders } from '../decision/request.js'
import { GatehouseError, problemAnswer } from '../errors.js'

/**
 * The decision API's three front doors: each proxy describes the original request its own
 * way, and takes the answer its own way.
 */
export type FrontDoor = 'nginx' | 'traefik' | 'envoy'

/** Where the proxy sends `server.decisionsToken`: Authorization is the client's own, forwarded. */
export const DECISIONS_TOKEN_HEADER = 'x-gatehouse-decisions-token'

/**
 * What the proxy adds to say what the original request was, and the decisions token: read
 * from the proxy, never handed to the decision as if the client had sent it (a credential,
 * an address, a scheme).
 */
const HOP_HEADERS = new Set([
  'x-original-method', 'x-original-uri', 'x-original-url',
  'x-forwarded-method', 'x-forwarded-uri', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-for',
  'x-forwarded-port', 'x-forwarded-server', 'x-forwarded-prefix',
  'x-real-ip', 'forwarded', 'x-envoy-internal', 'x-envoy-expected-rq-timeout-ms',
  DECISIONS_TOKEN_HEADER
])

/**
 * The headers that say, per door, what the original request was: a cached answer varies on
 * them too. nginx matches an auth subrequest's Vary against the client's own headers (the
 * subrequest shares them; what the recipe sets goes only to us), and caches nothing whose
 * Vary is longer than 128 bytes (NGX_HTTP_CACHE_VARY_LEN): its door names the Host alone,
 * the method and URI being in the recipe's cache key.
 */
const DOOR_HEADERS: Record<FrontDoor, string[]> = {
  nginx: ['host'],
  traefik: ['x-forwarded-method', 'x-forwarded-uri', 'x-forwarded-host', 'x-forwarded-proto'],
  envoy: ['host', 'x-forwarded-proto']
}

/** The front door a decision API path names, and the original target for Envoy; undefined for any other path. */
export function frontDoorOf (url: string): { door: FrontDoor, target: string | undefined } | undefined {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  if (path === '/nginx') return { door: 'nginx', target: undefined }
  if (path === '/traefik') return { door: 'traefik', target: undefined }
  // Envoy's path_prefix is put before the original path, query included: what follows is the target.
  if (url.startsWith('/envoy/')) return { door: 'envoy', target: url.slice('/envoy'.length) }
  if (url === '/envoy' || url.startsWith('/envoy?')) return { door: 'envoy', target: `/${url.slice('/envoy'.length)}` }
  return undefined
}

/** The last entry of a header a chain of proxies appends to: the one the nearest proxy, ours, wrote. */
function lastEntry (value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  const joined = Array.isArray(value) ? value.join(',') : value
  const entry = joined.slice(joined.lastIndexOf(',') + 1).trim()
  return entry === '' ? undefined : entry
}

function required (value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new GatehouseError('bad_request', `the proxy did not send ${name}`)
  return value
}

/**
 * The original request as the proxy describes it, as plain data for `decide`. The proxy is
 * trusted by construction on this listener: its X-Real-IP (else the last X-Forwarded-For
 * entry, the one it appended) is the client's address, its X-Forwarded-Proto the scheme,
 * its X-Forwarded-Host (else the Host it forwards) the host. Its own headers are taken out;
 * what is left is what the client sent. `sent` is every header of the proxy's request as
 * Node's listener joined them (`req.headers`: its parser builds that object for every
 * request anyway). Throws `bad_request` when the proxy left out what its door needs.
 */
export function originalRequest (
  door: FrontDoor, method: string, envoyTarget: string | undefined, sent: RequestHeaders, socketAddress: string
): DecisionRequest {
  const client: Record<string, string | string[] | undefined> = {}
  for (const name in sent) if (!HOP_HEADERS.has(name)) client[name] = sent[name]
  const first = (name: string): string | undefined => {
    const v = sent[name]
    return Array.isArray(v) ? v[0] : v
  }
  let target: string
  let originalMethod = method
  let host = lastEntry(sent['x-forwarded-host'])
  let proto = lastEntry(sent['x-forwarded-proto'])
  if (door === 'nginx') {
    originalMethod = required(first('x-original-method'), 'X-Original-Method')
    const uri = first('x-original-uri')
    const url = first('x-original-url')
    if (uri === undefined && url !== undefined) {
      // ingress-nginx sends the whole URL: its path and query are the target, its scheme and host the origin.
      let parsed: URL
      try {
        parsed = new URL(url)
      } catch {
        throw new GatehouseError('bad_request', 'the proxy sent an X-Original-URL that is not a URL')
      }
      target = `${parsed.pathname}${parsed.search}`
      host ??= parsed.host
      proto ??= parsed.protocol.slice(0, -1)
    } else {
      target = required(uri, 'X-Original-URI (or X-Original-URL)')
    }
  } else if (door === 'traefik') {
    originalMethod = required(first('x-forwarded-method'), 'X-Forwarded-Method')
    target = required(first('x-forwarded-uri'), 'X-Forwarded-Uri')
  } else {
    target = envoyTarget ?? '/'
  }
  // Envoy appends the client to X-Forwarded-For (use_remote_address) but passes a client's X-Real-IP on as sent.
  const peer = (door === 'envoy' ? undefined : lastEntry(sent['x-real-ip'])) ?? lastEntry(sent['x-forwarded-for']) ?? socketAddress
  if (isIP(peer) === 0) throw new GatehouseError('bad_request', 'the proxy sent a client address (X-Real-IP, X-Forwarded-For) that is not an IP address')
  if (host !== undefined) client.host = host
  describeUpgrade(client)
  return {
    method: originalMethod,
    target,
    headers: client,
    upgrade: upgradeRequested(originalMethod, client),
    peer: { address: peer },
    tls: { encrypted: proto === 'https', authorized: false }
  }
}

/**
 * A proxy asks about a WebSocket handshake without its Upgrade and Connection headers (hop by
 * hop: nginx clears Upgrade on its auth subrequest, Traefik drops both), but passes the
 * client's Sec-WebSocket-Key on. A request that carries a key is decided as the upgrade it
 * is, so a route without `websocket:` refuses it and the handshake checks apply: never a
 * looser answer than the gateway's own listener gives (a plain GET with a key gets no login
 * redirect, nothing more).
 */
function describeUpgrade (headers: Record<string, string | string[] | undefined>): void {
  if (headers['sec-websocket-key'] === undefined || headers.upgrade !== undefined) return
  headers.upgrade = 'websocket'
  headers.connection = 'Upgrade'
}

/** The answer the proxy gets: a flat header list, as Node's writeHead takes it. */
export interface DoorAnswer {
  status: number
  headers: string[]
  body: string
}

const NO_STORE: readonly string[] = Object.freeze(['cache-control', 'no-store'])
// nginx's cache takes Cache-Control private as "never": X-Accel-Expires is the lifetime it reads.
const NGINX_NO_STORE: readonly string[] = Object.freeze(['x-accel-expires', '0', ...NO_STORE])

/** Whether a route's allows may be reused at all, and what they vary on per door: the same for every request. */
interface RouteReuse { reusable: boolean, vary: Record<FrontDoor, string> }

const routeReuse = new WeakMap<RuntimeRoute, RouteReuse>()

function reuseOf (route: RuntimeRoute): RouteReuse {
  let known = routeReuse.get(route)
  if (known !== undefined) return known
  const authenticators = [...route.clientAuth, ...route.userAuth]
  const consumed = new Set<string>()
  for (const a of authenticators) {
    for (const h of a.consumes.headers) consumed.add(h)
    if ((a.consumes.cookies?.length ?? 0) > 0) consumed.add('cookie')
  }
  // A WebSocket handshake is decided per request (its key is new each time): an allow of the
  // plain request must not be reused for one.
  const vary = (door: FrontDoor): string => [...new Set([...DOOR_HEADERS[door], 'sec-websocket-key', ...consumed])].join(', ')
  known = {
    reusable: route.rateLimit === undefined && !authenticators.some(a => a.browserSession === true),
    vary: { nginx: vary('nginx'), traefik: vary('traefik'), envoy: vary('envoy') }
  }
  routeReuse.set(route, known)
  return known
}

/** nginx stores no answer whose Vary is longer than this (NGX_HTTP_CACHE_VARY_LEN). */
const NGINX_VARY_MAX = 128

/**
 * The routes whose allows nginx would never take from its cache although `decisionsCacheTtl`
 * lets it: they read so many credential headers that their Vary is longer than nginx keeps.
 * Safe (every request is decided), only slower: the operator is told at start.
 */
export function uncachedByNginx (gateway: Gateway): Array<{ route: RuntimeRoute, vary: string }> {
  const { decisions, decisionsCacheTtlMs } = gateway.config.server
  if (decisions === undefined || decisionsCacheTtlMs <= 0) return []
  const out: Array<{ route: RuntimeRoute, vary: string }> = []
  for (const route of gateway.routes) {
    const { reusable, vary } = reuseOf(route)
    if (reusable && vary.nginx.length > NGINX_VARY_MAX) out.push({ route, vary: vary.nginx })
  }
  return out
}

/**
 * How long a proxy may reuse this allow, as Cache-Control and Vary; no-store for anything
 * whose next answer could differ without its credentials changing: a rate-limited route
 * (each request spends quota), a route with browser sessions (CSRF reads Origin, a session
 * ends server-side), a WebSocket handshake, or a user whose credential expires sooner than a
 * second from now.
 */
export function cacheHeaders (
  door: FrontDoor, route: RuntimeRoute, user: { exp?: number | undefined } | undefined, ttlMs: number, nowMs: number, webSocket = false
): readonly string[] {
  const noStore = door === 'nginx' ? NGINX_NO_STORE : NO_STORE
  if (ttlMs <= 0 || webSocket) return noStore
  const { reusable, vary } = reuseOf(route)
  if (!reusable) return noStore
  let seconds = Math.floor(ttlMs / 1000)
  if (user?.exp !== undefined) seconds = Math.min(seconds, Math.floor(user.exp - nowMs / 1000))
  if (seconds < 1) return noStore
  const cacheControl = ['cache-control', `private, max-age=${seconds}`, 'vary', vary[door]]
  return door === 'nginx' ? ['x-accel-expires', String(seconds), ...cacheControl] : cacheControl
}

/**
 * The decision as the door's proxy takes it. Allowed: 200, the identity as response headers.
 * Refused: the status, WWW-Authenticate and problem+json the proxy path gives. A page load
 * sent to log in: nginx gets 401 with Location (auth_request passes only 401 and 403 on, for
 * `error_page 401`), Traefik and Envoy the 302 itself. The gateway's own endpoints are not
 * decided here: the proxy must route them to the public listener. Envoy is also told which
 * identity headers the client sent (x-envoy-auth-headers-to-remove): it would pass them on.
 */
export function doorAnswer (gateway: Gateway, door: FrontDoor, request: DecisionRequest, outcome: Outcome, requestId: string, nowMs: number): DoorAnswer {
  const { server } = gateway.config
  const extra = ['x-request-id', requestId]
  if (outcome.kind !== 'endpoint' && outcome.kind !== 'preflight') for (const [name, value] of outcome.responseHeaders) extra.push(name, value)
  switch (outcome.kind) {
    case 'allow': {
      // Envoy sets what it is told but leaves the rest as the client sent it: it is told to drop those too.
      if (door === 'envoy') {
        const toldNames = new Set(outcome.told.map(([name]) => name))
        const spoofed = Object.keys(request.headers).filter(name => gateway.identity.isStripped(name) && !toldNames.has(name))
        if (spoofed.length > 0) extra.push('x-envoy-auth-headers-to-remove', spoofed.join(','))
      }
      for (const [name, value] of outcome.told) extra.push(name, value)
      const cache = cacheHeaders(door, outcome.route, outcome.identity.user, server.decisionsCacheTtlMs, nowMs, outcome.webSocket)
      for (const line of cache) extra.push(line)
      extra.push('content-length', '0')
      return { status: 200, headers: extra, body: '' }
    }
    case 'login': {
      const answer = outcome.answer as NonNullable<typeof outcome.answer>
      const headers = [...extra, 'location', answer.location, 'cache-control', 'no-store']
      for (const c of answer.cookies) headers.push('set-cookie', c)
      if (door !== 'nginx') return { status: 302, headers: [...headers, 'content-length', '0'], body: '' }
      const { headers: problem, body } = problemAnswer(outcome.error, requestId)
      for (let i = 0; i < problem.length; i += 2) if (problem[i] !== 'cache-control') headers.push(problem[i] as string, problem[i + 1] as string)
      return { status: 401, headers, body }
    }
    case 'deny': {
      const { status, headers, body } = problemAnswer(outcome.error, requestId, extra)
      return { status, headers, body }
    }
    case 'endpoint': {
      const error = new GatehouseError('not_found', `${outcome.path} is served by the gateway itself: route it to the public listener`)
      const { status, headers, body } = problemAnswer(error, requestId, extra)
      return { status, headers, body }
    }
    case 'preflight': {
      // A CORS preflight the route answers: let through with its CORS headers, never cached; refused without any.
      if (outcome.answer.allowed) {
        return { status: 200, headers: [...extra, ...outcome.answer.headers, 'cache-control', 'no-store', 'content-length', '0'], body: '' }
      }
      const { status, headers, body } = problemAnswer(new GatehouseError('cors_forbidden', outcome.answer.reason), requestId, extra)
      return { status, headers, body }
    }
  }
}

/** What the decision API would answer on each door, for `gatehouse explain`: the status, and how long a proxy may reuse an allow. */
export interface DoorSummary {
  nginx: number
  traefik: number
  envoy: number
  cacheControl: string
}

export function doorSummary (gateway: Gateway, outcome: Outcome, nowMs: number): DoorSummary {
  switch (outcome.kind) {
    case 'allow': {
      const cache = cacheHeaders('envoy', outcome.route, outcome.identity.user, gateway.config.server.decisionsCacheTtlMs, nowMs, outcome.webSocket)
      return { nginx: 200, traefik: 200, envoy: 200, cacheControl: cache[cache.indexOf('cache-control') + 1] as string }
    }
    case 'login':
      return { nginx: 401, traefik: 302, envoy: 302, cacheControl: 'no-store' }
    case 'deny':
      return { nginx: outcome.error.status, traefik: outcome.error.status, envoy: outcome.error.status, cacheControl: 'no-store' }
    case 'endpoint':
      return { nginx: 404, traefik: 404, envoy: 404, cacheControl: 'no-store' }
    case 'preflight': {
      const status = outcome.answer.allowed ? 200 : 403
      return { nginx: status, traefik: status, envoy: status, cacheControl: 'no-store' }
    }
  }
}
