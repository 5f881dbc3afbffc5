import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TLSSocket } from 'node:tls'
import type { PeerCertificate } from '../src/auth/types.js'
import type { Gateway, RuntimeRoute } from '../src/gateway.js'
import type { BufferBudget } from '../src/proxy/buffer-budget.js'
import { compileRouteDecision, type RouteOutcome } from '../src/decision/decide.js'
import type { DecisionRequest, TlsFacts } from '../src/decision/request.js'
import { answerProblem } from './errors.js'
import { answerRedirect } from './login-endpoints.js'
import type { Exchange, Observe } from './exchange.js'
import { respondPreflight } from './cors.js'
import { forward, type ForwardPolicy, type Upstream } from './forward.js'
import type { RouteSeries } from './metrics.js'
import type { WebSocketRoute } from './websocket.js'

const PLAIN: TlsFacts = { encrypted: false, authorized: false }

/** What the connection says: TLS, and the client certificate it verified (read only on a TLS socket). */
function tlsFacts (socket: Partial<TLSSocket>): TlsFacts {
  if (socket.encrypted !== true) return PLAIN
  const authorized = socket.authorized === true
  const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : null
  if (cert === null || Object.keys(cert).length === 0) return { encrypted: true, authorized }
  const subject: Record<string, string> = {}
  for (const [k, v] of Object.entries(cert.subject ?? {})) subject[k] = Array.isArray(v) ? v.join('+') : String(v)
  const certificate: PeerCertificate = { subject, fingerprint256: cert.fingerprint256, authorized }
  return { encrypted: true, authorized, certificate }
}

export interface PipelineParts {
  gateway: Gateway
  route: RuntimeRoute
  upstream: Upstream
  observe: Observe
  /** The process's bytes held for slow clients. */
  buffers: BufferBudget
  series: RouteSeries
  /** The route's WebSocket side, when it carries WebSockets (`websocket:` on the route). */
  webSocket: WebSocketRoute | undefined
}

/**
 * One route's request path, compiled at load. The decision (src/decision/decide.ts) says
 * whether the request goes through, as whom and with which headers; this acts on it:
 * forward, switch the WebSocket, answer the problem or send to log in.
 */
export function compilePipeline ({
  gateway,
  route,
  upstream,
  observe,
  buffers,
  series,
  webSocket
}: PipelineParts): (request: FastifyRequest, reply: FastifyReply) => void {
  const { server } = gateway.config
  const forwarding: ForwardPolicy = {
    bodyLimit: server.bodyLimit,
    bodyTimeoutMs: server.bodyTimeoutMs,
    buffer: server.buffer,
    sendTimeoutMs: server.sendTimeoutMs,
    budget: buffers,
    ownCookies: gateway.ownCookies
  }
  const decideRoute = compileRouteDecision(gateway, route)
  // What the upstream is told of the trace: the gateway's upstream call when spans are exported, else the caller's (x.trace).
  const upstreamSpan = { 'server.address': upstream.host, 'gatehouse.upstream': upstream.name }

  const decideFor = (request: FastifyRequest, x: Exchange): RouteOutcome | Promise<RouteOutcome> => {
    const { req } = x
    const plain: DecisionRequest = {
      method: req.method as string,
      target: request.originalUrl,
      headers: req.headers,
      upgrade: (req as { upgrade?: boolean }).upgrade === true,
      peer: { address: req.socket.remoteAddress ?? '' },
      tls: tlsFacts(req.socket as Partial<TLSSocket>)
    }
    const { span } = x
    return decideRoute(plain, {
      requestId: request.id,
      params: request.params as Record<string, string | undefined>,
      trace: x.trace,
      upstreamTrace: span === undefined
        ? undefined
        : method => ({ traceparent: span.startUpstream(`${method} ${upstream.name}`, upstreamSpan), tracestate: x.trace.tracestate })
    })
  }

  const act = (x: Exchange, outcome: RouteOutcome): void => {
    x.ip = outcome.clientIp
    x.identity = outcome.identity
    if (outcome.kind === 'preflight') {
      respondPreflight(x, outcome.route.corsPolicy as NonNullable<RuntimeRoute['corsPolicy']>)
      return
    }
    const added = outcome.responseHeaders
    for (let i = 0; i < added.length; i++) x.responseHeaders.push(...added[i] as [string, string])
    switch (outcome.kind) {
      case 'allow':
        if (outcome.webSocket) (webSocket as WebSocketRoute).open(x, outcome.identity, outcome.path, outcome.headers)
        else {
          if (outcome.judgedPath !== undefined) x.upstreamPath = outcome.path.split('?', 1)[0] as string
          forward(x, upstream, outcome.path, outcome.headers, forwarding)
        }
        return
      case 'login':
        x.error = outcome.error
        answerRedirect(x, 302, outcome.answer as NonNullable<typeof outcome.answer>)
        return
      case 'deny':
        if (outcome.webSocket) webSocket?.denied()
        answerProblem(x, outcome.thrown)
    }
  }

  // Synchronous whenever the decision is (a public route, a credential seen before): no promise per request.
  return function gatehousePipeline (request, reply) {
    reply.hijack()
    const x = observe(request, reply, route, series)
    const outcome = x.span === undefined ? decideFor(request, x) : x.span.run(() => decideFor(request, x))
    if (outcome instanceof Promise) outcome.then(o => { act(x, o) }, (err: unknown) => { answerProblem(x, err) })
    else act(x, outcome)
  }
}
