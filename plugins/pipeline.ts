import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TLSSocket } from 'node:tls'
import type { PeerCertificate } from '../src/auth/types.js'
import type { Gateway, RuntimeRoute } from '../src/gateway.js'
import { identityHeaders, withoutQueryParams } from '../src/identity/headers.js'
import { authenticate } from '../src/policy/authenticate.js'
import { authorize } from '../src/policy/authorize.js'
import { judgeTarget } from '../src/policy/request-path.js'
import { upstreamRequestHeaders } from '../src/proxy/headers.js'
import { peerOf } from '../src/proxy/trust.js'
import { GatehouseError } from '../src/errors.js'
import { answerProblem } from './errors.js'
import type { Observe } from './exchange.js'
import { forward, type BodyPolicy, type Upstream } from './forward.js'
import type { RouteSeries } from './metrics.js'
import type { RouteLimiter } from './rate-limit.js'

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
  series: RouteSeries
  limiter: RouteLimiter | undefined
}

/**
 * One route's whole request path, compiled at load: everything that never changes per
 * request (the route, its upstream, its limiter, its metric series, the identity plan) is
 * in this closure, and the handler reads top to bottom in the order a request goes:
 * guard → authenticate → authorize → rate limit → identity headers → assertion → forward.
 * Any step that refuses throws, and the refusal is the answer.
 */
export function compilePipeline ({ gateway, route, upstream, observe, series, limiter }: PipelineParts): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const { server } = gateway.config
  const plan = gateway.identity
  const signer = gateway.assertion
  const body: BodyPolicy = { limit: server.bodyLimit, timeoutMs: server.bodyTimeoutMs }
  // The credentials removed before forwarding: every one the gateway's authenticators read.
  const credentials = route.forwardCredentials ? { headers: [], query: [] } : gateway.credentials

  return async function gatehousePipeline (request, reply) {
    reply.hijack()
    const x = observe(request, reply, route, series)
    const { req } = x
    try {
      // 1. Guard: a path the upstream could read as another, a body declared too large.
      const target = judgeTarget(request.originalUrl, server.routing)
      const length = req.headers['content-length']
      if (length !== undefined && Number(length) > body.limit) throw new GatehouseError('payload_too_large', `the request body is larger than ${body.limit} bytes`)
      const peer = peerOf(req, gateway.trust)
      x.ip = peer.clientIp

      // 2. Authenticate: the client, then the user, as the method's policy asks.
      const identity = await authenticate(route, req.method as string, { method: req.method as string, headers: req.headers, query: target.query, ip: x.ip, peerCertificate: peerCertificate(request) })
      x.identity = identity

      // 3. Authorize: client allow-list, user-to-client binding, scopes, claims.
      authorize(route, identity)

      // 4. Rate limit, by the identity just found: a refused request spent no quota.
      if (limiter !== undefined) await limiter(x)

      // 5. Identity headers: what the upstream is told, every client-sent copy stripped.
      const identityOut = identityHeaders(plan, identity)

      // 6. Assertion: the identity signed for this upstream, last, so a refusal costs no signature.
      if (signer !== undefined) identityOut.push([signer.header, await signer.assert(identity, route.upstream)])

      // 7. Forward, with the credentials taken out.
      const query = withoutQueryParams(target.query, credentials.query)
      const headers = upstreamRequestHeaders(plan, req.headers, identityOut, credentials.headers, {
        upstreamHost: upstream.host, peerIp: peer.peerIp, peerTrusted: peer.peerTrusted, proto: request.protocol, host: req.headers.host, requestId: request.id
      })
      forward(x, upstream, query === '' ? target.path : `${target.path}?${query}`, headers, body)
    } catch (err) {
      answerProblem(x, err)
    }
  }
}
