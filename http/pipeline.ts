import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TLSSocket } from 'node:tls'
import type { PeerCertificate } from '../src/auth/types.js'
import type { Gateway, RuntimeRoute } from '../src/gateway.js'
import { identityHeaders, withoutQueryParams } from '../src/identity/headers.js'
import { withoutOverrideParams } from '../src/identity/query-overrides.js'
import { authenticate, type Identity } from '../src/policy/authenticate.js'
import { authorize } from '../src/policy/authorize.js'
import { loginFor } from '../src/policy/login-redirect.js'
import { checkSameOrigin } from '../src/policy/same-origin.js'
import { corsResponseHeaders, credentialedOrigin, isPreflight } from '../src/policy/cors.js'
import { judgeTarget } from '../src/policy/request-path.js'
import { judgeParams } from '../src/policy/route-table.js'
import { upstreamRequestHeaders } from '../src/proxy/headers.js'
import type { BufferBudget } from '../src/proxy/buffer-budget.js'
import { peerOf } from '../src/proxy/trust.js'
import { GatehouseError } from '../src/errors.js'
import { respondPreflight } from './cors.js'
import { answerProblem } from './errors.js'
import { answerRedirect, originOf } from './login-endpoints.js'
import type { Exchange, Observe } from './exchange.js'
import { forward, type ForwardPolicy, type Upstream } from './forward.js'
import type { RouteSeries } from './metrics.js'
import type { RouteLimiter } from './rate-limit.js'
import { isWebSocketUpgrade, type WebSocketRoute } from './websocket.js'

function peerCertificate (request: FastifyRequest): PeerCertificate | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>
  if (socket.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return undefined
  const cert = socket.getPeerCertificate()
  if (cert === null || Object.keys(cert).length === 0) return undefined
  const subject: Record<string, string> = {}
  for (const [k, v] of Object.entries(cert.subject ?? {})) subject[k] = Array.isArray(v) ? v.join('+') : String(v)
  return { subject, fingerprint256: cert.fingerprint256, authorized: socket.authorized === true }
}

export interface PipelineParts {
  gateway: Gateway
  route: RuntimeRoute
  upstream: Upstream
  observe: Observe
  /** The process's bytes held for slow clients. */
  buffers: BufferBudget
  series: RouteSeries
  limiter: RouteLimiter | undefined
  /** The route's WebSocket side, when it carries WebSockets (`websocket:` on the route). */
  webSocket: WebSocketRoute | undefined
}

/** A request that passed its route's policy: who it is, and what goes upstream. */
export interface Admitted {
  identity: Identity
  /** The path as judged, plus the query without consumed credentials. */
  path: string
  /** The upstream request headers: stripped, identity set, assertion signed. */
  headers: string[]
}

/**
 * One route's whole request path, compiled at load: everything that never changes per
 * request (the route, its upstream, its limiter, its metric series, the identity plan) is
 * in this closure, and it reads top to bottom in the order a request goes:
 * CORS → guard → authenticate → authorize → rate limit → identity headers → assertion → rewrite → forward.
 * A WebSocket upgrade goes the same way; only its last step differs: the connection is
 * switched, not forwarded. Any step that refuses throws, and the refusal is the answer.
 */
export function compilePipeline ({ gateway, route, upstream, observe, buffers, series, limiter, webSocket }: PipelineParts): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const { server } = gateway.config
  const plan = gateway.identity
  const signer = gateway.assertion
  const forwarding: ForwardPolicy = {
    bodyLimit: server.bodyLimit, bodyTimeoutMs: server.bodyTimeoutMs, buffer: server.buffer, sendTimeoutMs: server.sendTimeoutMs, budget: buffers, ownCookies: gateway.ownCookies
  }
  // The credentials removed before forwarding: every one the gateway's authenticators read.
  const credentials = route.forwardCredentials ? { headers: [], query: [], cookies: [] } : gateway.credentials
  const upstreamSpan = { 'server.address': upstream.host, 'gatehouse.upstream': upstream.name }
  // A route a browser session can authenticate: its unsafe requests and upgrades get the CSRF check.
  const browserSessions = route.userAuth.some(a => a.browserSession === true)
  const cors = route.corsPolicy
  const rewrite = route.rewritePath

  /** Steps 1 to 6, the same for a request and an upgrade: the request as the upstream will see it, or a throw. */
  async function admit (request: FastifyRequest, x: Exchange, upgrade: boolean): Promise<Admitted> {
    const { req } = x
    // 1. Guard: a path the upstream could read as another, a body declared too large, an
    //    upgrade the route does not carry (nothing is switched that was not declared).
    const target = judgeTarget(request.originalUrl, server.routing)
    judgeParams(request.params as Record<string, string | undefined>, server.routing)
    const length = req.headers['content-length']
    if (length !== undefined && Number(length) > server.bodyLimit) throw new GatehouseError('payload_too_large', `the request body is larger than ${server.bodyLimit} bytes`)
    if (upgrade && webSocket === undefined) throw new GatehouseError('not_found', `${route.match} does not carry WebSockets`)
    const peer = peerOf(req, gateway.trust)
    x.ip = peer.clientIp

    // 2. Authenticate: the client, then the user, as the method's policy asks.
    const identity = await authenticate(route, req.method as string, { method: req.method as string, headers: req.headers, query: target.query, ip: x.ip, upgrade, peerCertificate: peerCertificate(request), secure: request.protocol === 'https' })
    x.identity = identity
    //    A session cookie rides along on any site's request: what it authenticates must be same-origin.
    if (browserSessions) {
      checkSameOrigin(identity, route.userAuth, req.method as string, upgrade, req.headers, () => originOf(request), route.csrf === 'strict', o => credentialedOrigin(cors, o))
    }

    // 3. Authorize: client allow-list, user-to-client binding, scopes, claims.
    authorize(route, identity)

    // 4. Rate limit, by the identity just found: a refused request spent no quota.
    if (limiter !== undefined) await limiter(x)

    // 5. Identity headers: what the upstream is told, every client-sent copy stripped.
    const identityOut = identityHeaders(plan, identity)

    // 6. Assertion: the identity signed for this upstream, last, so a refusal costs no signature.
    if (signer !== undefined) identityOut.push([signer.header, await signer.assert(identity, route.upstream)])

    // Every credential any authenticator reads is taken out of what goes upstream.
    const query = withoutOverrideParams(withoutQueryParams(target.query, credentials.query), plan.isOverrideParam)
    // The rewrite works on the path judged, once the route has decided: it cannot change the decision.
    const path = rewrite === undefined ? target.path : (x.upstreamPath = rewrite(target.path))
    // The upstream's parent span is the gateway's upstream call when spans are exported, else the caller's.
    const traceparent = x.span === undefined ? x.trace.traceparent : x.span.startUpstream(`${req.method as string} ${upstream.name}`, upstreamSpan)
    const headers = upstreamRequestHeaders(plan, req.headers, identityOut, credentials.headers, {
      upstreamHost: upstream.host, peerIp: peer.peerIp, peerTrusted: peer.peerTrusted, proto: request.protocol, host: request.publicOrigin?.host ?? req.headers.host, requestId: request.id, traceparent, tracestate: x.trace.tracestate, dropCookies: credentials.cookies
    })
    return { identity, path: query === '' ? path : `${path}?${query}`, headers }
  }

  return async function gatehousePipeline (request, reply) {
    reply.hijack()
    const x = observe(request, reply, route, series)
    const upgrade = isWebSocketUpgrade(x.req)
    try {
      // 0. CORS: a preflight is answered here, unauthenticated; every other answer, refusals
      //    included, carries the CORS headers, so the page can read its 401.
      if (cors !== undefined) {
        if (isPreflight(x.req.method as string, x.req.headers)) {
          judgeTarget(request.originalUrl, server.routing)
          respondPreflight(x, cors)
          return
        }
        x.responseHeaders.push(...corsResponseHeaders(cors, x.req.headers))
      }
      const { identity, path, headers } = x.span === undefined ? await admit(request, x, upgrade) : await x.span.run(async () => await admit(request, x, upgrade))
      // 7. Forward: stream the request upstream, or open the upstream's WebSocket and switch.
      if (upgrade) (webSocket as WebSocketRoute).open(x, identity, path, headers)
      else forward(x, upstream, path, headers, forwarding)
    } catch (err) {
      if (upgrade) webSocket?.denied()
      // A page load without a session is sent to log in, then back here; anything else gets the problem.
      const login = browserSessions && !upgrade ? loginFor(route, x.req.method as string, x.req.headers, err) : undefined
      if (login === undefined) {
        answerProblem(x, err)
        return
      }
      try {
        x.error = err as GatehouseError
        answerRedirect(x, 302, await login.login.start(request.originalUrl, originOf(request), request.protocol === 'https'))
      } catch (startErr) {
        answerProblem(x, startErr)
      }
    }
  }
}
