/**
 * The decision: may this request through, as whom, with which headers. One function for
 * every front door: the HTTP forwarder and the WebSocket upgrade (http/pipeline.ts),
 * `gatehouse explain` (src/explain/), and anything that asks over plain data.
 *
 * Usage:
 *
 *   import { decisionRequest } from './request.js'
 *   import { decide } from './decide.js'
 *
 *   const request = decisionRequest({
 *     method: 'GET', target: '/api/orders/7?x=1',
 *     rawHeaders: ['Host', 'gw.example', 'Authorization', 'Bearer …'],   // as sent, repeats kept
 *     peer: '10.0.0.7',                                                   // the direct peer
 *     tls: { encrypted: true, authorized: false }                         // plus `certificate` for mTLS
 *   })
 *   const outcome = await decide(gateway, request, { dryRun: true })
 *   switch (outcome.kind) {
 *     case 'allow':    // outcome.identity, outcome.path (upstream path + query), outcome.headers (flat list for undici)
 *     case 'deny':     // outcome.stage, outcome.error (a GatehouseError: status, code, challenges, headers), outcome.identity found so far
 *     case 'login':    // a page load sent to the OpenID Provider: outcome.authenticator, outcome.answer (location, cookies) unless dryRun
 *     case 'endpoint': // the gateway answers itself (token, revoke, jwks, the oidc redirect and logout paths)
 *   }
 *
 * `dryRun: true` spends no rate-limit quota, signs no assertion (a placeholder stands in),
 * starts no login; authenticators still run for real (a JWT verified, a token introspected).
 * The listener, which has routed already, calls `compileRouteDecision(gateway, route)` once
 * per route and the result per request; `decide` routes with the same table first
 * (src/routing/route-table.ts), including the gateway's own endpoints and undecodable paths.
 * Render a refusal with `problemAnswer` (src/errors.ts): status, headers and problem+json body.
 */
import type { Gateway, RuntimeRoute } from '../gateway.js'
import type { UpstreamConfig } from '../config/types.js'
import { isOidcAuthenticator, type OidcAuthenticator } from '../auth/oidc/oidc-authenticator.js'
import type { LoginAnswer } from '../auth/oidc/login-flow.js'
import { GatehouseError, isGatehouseError, toGatehouseError } from '../errors.js'
import { identityHeaders, withoutQueryParams } from '../identity/headers.js'
import { withoutOverrideParams } from '../identity/query-overrides.js'
import { answerPreflight, corsResponseHeaders, credentialedOrigin, isPreflight, type PreflightAnswer } from '../policy/cors.js'
import { compilePublicOrigins } from '../routing/public-origin.js'
import { authenticateNow, type Identity } from '../policy/authenticate.js'
import { authorize } from '../policy/authorize.js'
import { loginFor } from '../policy/login-redirect.js'
import { countHit, effectiveLimit, limitAddress, limitKey, limitScope, onLimitStoreError } from '../rate-limit/rate-limit.js'
import { judgeTarget, type RequestTarget } from '../routing/request-path.js'
import { buildRouteTable, judgeParams, type RouteHit, type RouteTable } from '../routing/route-table.js'
import { checkSameOrigin, fromSameOrigin } from '../policy/same-origin.js'
import { upstreamRequestHeaders } from '../proxy/headers.js'
import { requestTrace } from '../telemetry/trace-context.js'
import { clientOrigin, peerOf, type Peer } from '../proxy/trust.js'
import { TOKEN_ENDPOINT_PATHS } from '../routing/endpoint-paths.js'
import { handshakeProblem, isWebSocketUpgrade } from './handshake.js'
import type { DecisionRequest } from './request.js'

/** Where a request stopped, in the order the steps run. */
export type Stage = 'route' | 'cors' | 'guard' | 'authenticate' | 'csrf' | 'authorize' | 'rate-limit' | 'identity' | 'assertion' | 'login'

/** What every outcome carries: who the request turned out to be so far, and from where. */
interface Found {
  /** The client's address: the direct peer, or through trusted proxies the last untrusted hop. */
  clientIp: string
  /** The principals authenticated before the decision was made; undefined before authentication. */
  identity: Identity | undefined
  /** The scheme and host the client used (what a browser's Origin is compared with). */
  origin: { protocol: string, host: string }
  /** The route pattern's parameters, when `decide` routed the request (a route's own decision leaves them empty). */
  params: Record<string, string | undefined>
}

export interface Allow extends Found {
  kind: 'allow'
  route: RuntimeRoute
  identity: Identity
  /** A WebSocket upgrade the route carries: switched, not forwarded. */
  webSocket: boolean
  /** The path as judged (rewritten by the route's `rewrite`) plus the query without consumed credentials: what the upstream is asked for. */
  path: string
  /** The path the route judged, when `rewrite` changed what the upstream is asked for. */
  judgedPath: string | undefined
  /** The upstream request headers as undici's flat `[name, value, …]` list; empty when the caller forwards nothing (`forwards: false`). */
  headers: string[]
  /** What the upstream is told of the identity, set in `headers` too: the identity headers, then the assertion (lowercase names). */
  told: ReadonlyArray<readonly [string, string]>
  /** Headers for whatever answer the client gets (RateLimit-*). */
  responseHeaders: Array<[string, string]>
}

export interface Deny extends Found {
  kind: 'deny'
  /** Undefined when no route serves the request. */
  route: RuntimeRoute | undefined
  stage: Stage
  error: GatehouseError
  /** What was thrown, for the operator's log (an internal failure's own message). */
  thrown: unknown
  webSocket: boolean
  responseHeaders: Array<[string, string]>
}

export interface Login extends Found {
  kind: 'login'
  route: RuntimeRoute
  /** The refusal a page load without a session would otherwise get. */
  error: GatehouseError
  authenticator: OidcAuthenticator
  /** The redirect to the provider (location, cookies); undefined in a dry run. */
  answer: LoginAnswer | undefined
  responseHeaders: Array<[string, string]>
}

export interface Endpoint extends Found {
  kind: 'endpoint'
  /** The path the gateway serves itself. */
  path: string
  endpoint: 'token' | 'revoke' | 'jwks' | 'redirect' | 'logout'
  /** The oidc authenticator whose endpoint it is. */
  authenticator: string | undefined
}

/** A CORS preflight on a route whose `cors` the gateway answers: unauthenticated, never proxied. */
export interface Preflight extends Found {
  kind: 'preflight'
  route: RuntimeRoute
  answer: PreflightAnswer
}

export type Outcome = Allow | Deny | Login | Endpoint | Preflight

export interface DecideOptions {
  /** No quota spent, no assertion signed, no login started. Default false. */
  dryRun?: boolean | undefined
  /** The X-Request-Id the upstream is told; default `explain`. */
  requestId?: string | undefined
  /** The request's trace, whose context the upstream is told (unless `upstreamTrace` gives another); default: from its headers. */
  trace?: { traceparent: string, tracestate: string | undefined } | undefined
  /** The trace context for the upstream, asked only once the request is admitted (the listener starts its upstream span there). */
  upstreamTrace?: ((method: string) => { traceparent: string, tracestate: string | undefined }) | undefined
  /** The route pattern's parameters as the router matched them (`decide` passes its own). */
  params?: Record<string, string | undefined> | undefined
  /**
   * False for a caller that forwards nothing itself (the decision API answers with `told`):
   * the upstream's request headers and trace context are not made. Default true.
   */
  forwards?: boolean | undefined
}

/**
 * A route's own decision: the router already chose the route, so never an `endpoint`. It is
 * given synchronously when every step is (a credential this process has seen, no rate-limit
 * store or signature to wait on): a promise only when one must be waited for.
 */
export type RouteDecision = (request: DecisionRequest, options?: DecideOptions) => RouteOutcome | Promise<RouteOutcome>
export type RouteOutcome = Allow | Deny | Login | Preflight

/** One request on its way through a route's decision: what the steps found so far. */
interface Pending {
  request: DecisionRequest
  options: DecideOptions
  dryRun: boolean
  webSocket: boolean
  peer: Peer
  origin: { protocol: string, host: string }
  /** The `server.publicOrigins` host the request named, if any. */
  configuredHost: string | undefined
  secure: boolean
  responseHeaders: Array<[string, string]>
  params: Record<string, string | undefined>
  target: RequestTarget | undefined
  stage: Stage
  identity: Identity | undefined
}

const NO_CREDENTIALS = { headers: [], query: [], cookies: [] }
const NO_OPTIONS: DecideOptions = Object.freeze({})
const NO_PARAMS: Record<string, string | undefined> = Object.freeze({})
/** What stands in for the signed assertion in a dry run: explain never signs. */
export const ASSERTION_PLACEHOLDER = '<assertion: a JWT the gateway signs for the upstream>'

/**
 * One route's decision, compiled at load: everything that never changes per request is in
 * this closure, and it reads top to bottom in the order a request goes:
 * guard → authenticate → CSRF → authorize → rate limit → identity headers → assertion.
 * A step that refuses throws; the refusal is the outcome.
 */
export function compileRouteDecision (gateway: Gateway, route: RuntimeRoute): RouteDecision {
  const { server } = gateway.config
  const { trust } = gateway
  const plan = gateway.identity
  const signer = gateway.assertion
  // The credentials removed before forwarding: every one the gateway's authenticators read.
  const credentials = route.forwardCredentials ? NO_CREDENTIALS : gateway.credentials
  // The loader refuses a route naming an upstream it does not define.
  const upstreamHost = new URL((gateway.config.upstreams.get(route.upstream) as UpstreamConfig).url).host
  // A route a browser session can authenticate: its unsafe requests and upgrades get the CSRF check.
  const browserSessions = route.userAuth.some(a => a.browserSession === true)
  const limit = route.rateLimit
  const scope = limitScope(route, gateway.routes)
  const cors = route.corsPolicy
  const rewrite = route.rewritePath
  const publicOrigin = compilePublicOrigins(server.publicOrigins)
  const csrfStrict = route.csrf === 'strict'
  const corsTrusts = (o: string): boolean => credentialedOrigin(cors, o)
  // Only a `:name` has a length to judge: the wildcard's rest of the path is not a parameter.
  const namedParams = route.urls.some(url => url.includes(':'))

  /** Steps 3 on, once the request's identity is known; synchronous unless a step must wait. */
  function admit (s: Pending, identity: Identity): RouteOutcome | Promise<RouteOutcome> {
    const { method, headers } = s.request
    s.identity = identity
    // 3. CSRF: a session cookie rides along on any site's request, so what it authenticates must be same-origin.
    s.stage = 'csrf'
    if (browserSessions) {
      checkSameOrigin(identity, route.userAuth, method, s.webSocket, headers, () => `${s.origin.protocol}://${s.origin.host}`, csrfStrict, corsTrusts)
    }
    // 4. Authorize: client allow-list, user-to-client binding, scopes, claims.
    s.stage = 'authorize'
    authorize(route, identity)
    if ((limit !== undefined && !s.dryRun) || signer !== undefined) return admitWaiting(s, identity)
    s.stage = 'identity'
    const told = identityHeaders(plan, identity)
    s.stage = 'assertion'
    return allow(s, identity, told)
  }

  /** Steps 5 to 7 when one waits: the rate-limit store, the signature. */
  async function admitWaiting (s: Pending, identity: Identity): Promise<RouteOutcome> {
    try {
      // 5. Rate limit, by the identity just found: a refused request spent no quota, and neither does a dry run.
      s.stage = 'rate-limit'
      if (limit !== undefined && !s.dryRun) {
        const { max, windowMs } = effectiveLimit(limit, identity)
        try {
          s.responseHeaders.push(...await countHit(gateway.limits, limitKey(scope, limit.by, identity, limitAddress(s.peer.clientIp)), max, windowMs))
        } catch (err) {
          if (isGatehouseError(err)) throw err
          onLimitStoreError({ match: route.match, rateLimit: limit }, err, gateway.logger.child({ reqId: s.options.requestId }), gateway.counters)
        }
      }
      // 6. Identity headers: what the upstream is told, every client-sent copy stripped.
      s.stage = 'identity'
      const told = identityHeaders(plan, identity)
      // 7. Assertion: the identity signed for this upstream, last, so a refusal costs no signature.
      s.stage = 'assertion'
      if (signer !== undefined) told.push([signer.header, s.dryRun ? ASSERTION_PLACEHOLDER : await signer.assert(identity, route.upstream)])
      return allow(s, identity, told)
    } catch (thrown) {
      return await refused(s, thrown)
    }
  }

  function allow (s: Pending, identity: Identity, told: Array<[string, string]>): Allow {
    const { request, options, peer, origin } = s
    const { method, headers } = request
    const target = s.target as RequestTarget
    // Every credential any authenticator reads is taken out of what goes upstream.
    const query = withoutOverrideParams(withoutQueryParams(target.query, credentials.query), plan.isOverrideParam)
    // The rewrite works on the path judged, once the route has decided: it cannot change the decision.
    const path = rewrite === undefined ? target.path : rewrite(target.path)
    const forwarded = {
      kind: 'allow',
      route,
      identity,
      clientIp: peer.clientIp,
      origin,
      params: s.params,
      webSocket: s.webSocket,
      path: query === '' ? path : `${path}?${query}`,
      judgedPath: path === target.path ? undefined : target.path,
      // Its own array: forwarding appends to what it is given (a buffered body's Content-Length).
      headers: [] as string[],
      told,
      responseHeaders: s.responseHeaders
    } satisfies Allow
    if (options.forwards === false) return forwarded
    const trace = options.upstreamTrace?.(method) ?? options.trace ?? requestTrace(headers)
    const host = headers.host
    forwarded.headers = upstreamRequestHeaders(plan, headers, told, credentials.headers, {
      upstreamHost,
      peerIp: peer.peerIp,
      peerTrusted: peer.peerTrusted,
      proto: origin.protocol,
      host: s.configuredHost ?? (typeof host === 'string' ? host : undefined),
      requestId: options.requestId ?? 'explain',
      traceparent: trace.traceparent,
      tracestate: trace.tracestate,
      dropCookies: credentials.cookies
    })
    return forwarded
  }

  /** A step refused: the refusal is the outcome, or for a page load without a session, the way to log in. */
  function refused (s: Pending, thrown: unknown): Deny | Login | Promise<Deny | Login> {
    const { request, origin, webSocket, responseHeaders, stage } = s
    const error = toGatehouseError(thrown)
    const found = { clientIp: s.peer.clientIp, origin, params: s.params, identity: s.identity }
    const login = browserSessions && !webSocket ? loginFor(route, request.method, request.headers, error) : undefined
    if (login === undefined) return { kind: 'deny', route, stage, error, thrown, webSocket, responseHeaders, ...found }
    if (s.dryRun) return { kind: 'login', route, error, authenticator: login, answer: undefined, responseHeaders, ...found }
    return login.login.start(request.target, `${origin.protocol}://${origin.host}`, s.secure).then(
      (answer): Login => ({ kind: 'login', route, error, authenticator: login, answer, responseHeaders, ...found }),
      (startErr: unknown): Deny => ({
        kind: 'deny', route, stage: 'login', error: toGatehouseError(startErr), thrown: startErr, webSocket, responseHeaders, ...found
      }))
  }

  return function decideRoute (request, options = NO_OPTIONS) {
    const { method, headers } = request
    const webSocket = isWebSocketUpgrade(request.upgrade, headers)
    const peer = peerOf(headers, request.peer.address, trust)
    const asked = clientOrigin(headers, request.peer.address, request.tls.encrypted, trust)
    // With server.publicOrigins, what login and CSRF build on is the configured origin the request named, never its Host.
    const configured = publicOrigin?.(asked.protocol, asked.host)
    const origin = configured === undefined ? asked : { protocol: configured.protocol, host: configured.host }
    const s: Pending = {
      request,
      options,
      dryRun: options.dryRun === true,
      webSocket,
      peer,
      origin,
      configuredHost: configured?.host,
      secure: origin.protocol === 'https',
      responseHeaders: [],
      params: options.params ?? NO_PARAMS,
      target: undefined,
      stage: 'guard',
      identity: undefined
    }
    try {
      if (publicOrigin !== undefined && configured === undefined) {
        throw new GatehouseError('misdirected_request', 'this gateway does not serve the host this request names (server.publicOrigins)')
      }
      // 0. CORS: a preflight is answered by the gateway, unauthenticated; every other answer,
      //    refusals included, carries the CORS headers, so the page can read its 401.
      if (cors !== undefined) {
        if (isPreflight(method, headers)) {
          judgeTarget(request.target, server.routing)
          return { kind: 'preflight', route, answer: answerPreflight(cors, headers), clientIp: peer.clientIp, origin, params: s.params, identity: undefined }
        }
        const flat = corsResponseHeaders(cors, headers)
        for (let i = 0; i < flat.length; i += 2) s.responseHeaders.push([flat[i] as string, flat[i + 1] as string])
      }
      // 1. Guard: a path the upstream could read as another, a body declared too large, an
      //    upgrade the route does not carry (nothing is switched that was not declared) or
      //    whose handshake is malformed (refused before any credential is checked).
      const target = s.target = judgeTarget(request.target, server.routing)
      if (namedParams) judgeParams(s.params, server.routing)
      // No Content-Length is NaN, never over the limit.
      if (Number(headers['content-length']) > server.bodyLimit) {
        throw new GatehouseError('payload_too_large', `the request body is larger than ${server.bodyLimit} bytes`)
      }
      if (webSocket) {
        if (route.websocket === undefined) throw new GatehouseError('not_found', `${route.match} does not carry WebSockets`)
        const problem = handshakeProblem(method, headers)
        if (problem !== undefined) throw new GatehouseError('bad_request', problem)
      }

      // 2. Authenticate: the client, then the user, as the method's policy asks.
      s.stage = 'authenticate'
      const identity = authenticateNow(route, method, {
        method,
        headers,
        query: target.query,
        ip: peer.clientIp,
        upgrade: webSocket,
        peerCertificate: request.tls.certificate,
        secure: s.secure,
        dryRun: s.dryRun
      })
      if (identity instanceof Promise) return identity.then(id => admit(s, id)).catch((thrown: unknown) => refused(s, thrown))
      return admit(s, identity)
    } catch (thrown) {
      return refused(s, thrown)
    }
  }
}

/** The logout endpoint's own check: another site must not be able to log the browser out. */
export function checkLogoutOrigin (headers: DecisionRequest['headers'], origin: string, authenticator: string): void {
  if (!fromSameOrigin(headers, origin)) throw new GatehouseError('csrf_failed', 'logout must be asked from this site', { principal: 'user', authenticator })
}

/**
 * A request target llhttp refuses before any app sees it: one that starts with neither `/`,
 * `*` nor a scheme, or holds a space or control character.
 */
const NOT_HTTP_TARGET = /^[^/*A-Za-z]|^$|[\x00-\x20\x7f]/

interface Compiled {
  table: RouteTable
  routes: Map<number, RouteDecision>
}

const compiled = new WeakMap<Gateway, Compiled>()

function compiledFor (gateway: Gateway): Compiled {
  let c = compiled.get(gateway)
  if (c === undefined) {
    const logins = [...gateway.authenticators.values()]
      .filter(isOidcAuthenticator)
      .map(a => ({ authenticator: a.name, redirectPath: a.redirectPath, logoutPath: a.logoutPath }))
    c = { table: buildRouteTable(gateway.routes, gateway.config.server.routing, true, logins), routes: new Map() }
    compiled.set(gateway, c)
  }
  return c
}

const TOKEN_ENDPOINTS = new Map<string, Endpoint['endpoint']>(Object.entries(TOKEN_ENDPOINT_PATHS).map(([name, path]) => [path, name as Endpoint['endpoint']]))

function endpointOf (hit: Extract<RouteHit, { kind: 'token-endpoint' | 'login-endpoint' }>): Pick<Endpoint, 'path' | 'endpoint' | 'authenticator'> {
  if (hit.kind === 'login-endpoint') return { path: hit.path, endpoint: hit.endpoint, authenticator: hit.authenticator }
  return { path: hit.path, endpoint: TOKEN_ENDPOINTS.get(hit.path) ?? 'token', authenticator: undefined }
}

/**
 * The whole decision for one request: routed as the listener routes it, then the route's
 * compiled decision. The listener's own endpoints are `endpoint` outcomes (the logout
 * endpoint's same-origin check included); a target no route serves is refused as the
 * listener refuses it (400 for a path it cannot decode, the path guard, else 404). Synchronous
 * unless a step of the route's decision waits (a cache miss, Redis, an introspection call).
 */
export function decide (gateway: Gateway, request: DecisionRequest, options: DecideOptions = {}): Outcome | Promise<Outcome> {
  const c = compiledFor(gateway)
  const method = request.method
  // What Node's parser refuses never reaches a route: answered as the listener answers it.
  const hit = NOT_HTTP_TARGET.test(request.target) ? undefined : c.table.find(method, request.target)
  if (hit?.kind === 'route') {
    let route = c.routes.get(hit.index)
    if (route === undefined) {
      route = compileRouteDecision(gateway, gateway.routes.find(r => r.index === hit.index) as RuntimeRoute)
      c.routes.set(hit.index, route)
    }
    return route(request, { ...options, params: hit.params })
  }
  const { trust } = gateway
  const found = {
    clientIp: peerOf(request.headers, request.peer.address, trust).clientIp,
    origin: clientOrigin(request.headers, request.peer.address, request.tls.encrypted, trust),
    params: NO_PARAMS,
    identity: undefined
  }
  const refuse = (thrown: unknown): Deny => ({
    kind: 'deny',
    route: undefined,
    stage: 'route',
    error: toGatehouseError(thrown),
    thrown,
    webSocket: false,
    responseHeaders: [],
    ...found
  })
  // A preflight on a route that answers CORS but does not list OPTIONS is answered for the method it asks about.
  const asked = request.headers['access-control-request-method']
  if (hit === undefined && typeof asked === 'string' && isPreflight(method, request.headers)) {
    const forMethod = c.table.find(asked, request.target)
    const route = forMethod?.kind === 'route' ? gateway.routes.find(r => r.index === forMethod.index) : undefined
    if (route?.corsPolicy !== undefined && forMethod?.kind === 'route') {
      try {
        judgeTarget(request.target, gateway.config.server.routing)
      } catch (err) {
        return refuse(err)
      }
      return { kind: 'preflight', route, answer: answerPreflight(route.corsPolicy, request.headers), ...found, params: forMethod.params }
    }
  }
  if (NOT_HTTP_TARGET.test(request.target)) return refuse(new GatehouseError('bad_request', 'the request is not well-formed HTTP'))
  if (hit?.kind === 'undecodable') return refuse(new GatehouseError('bad_request', 'the request is malformed'))
  if (hit?.kind === 'login-endpoint' && hit.endpoint === 'logout') {
    try {
      checkLogoutOrigin(request.headers, `${found.origin.protocol}://${found.origin.host}`, hit.authenticator)
    } catch (err) {
      return refuse(err)
    }
  }
  if (hit !== undefined) return { kind: 'endpoint', ...endpointOf(hit), ...found }
  try {
    // A path the router could not place may still be one a server would read as another.
    const target = judgeTarget(request.target, gateway.config.server.routing)
    return refuse(new GatehouseError('not_found', `no route for ${method} ${target.path}`))
  } catch (err) {
    return refuse(err)
  }
}
