import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { GatehouseError } from '../src/errors.js'
import type { RuntimeRoute } from '../src/gateway.js'
import { acceptRequestId } from '../src/identity/headers.js'
import { accessLogger, jsonString, type AccessLog, type Logger } from '../src/logger.js'
import type { Identity } from '../src/policy/authenticate.js'
import type { PublicOrigin } from '../src/routing/public-origin.js'
import type { DecisionCounters } from '../src/telemetry/decision-counters.js'
import { newUuid, requestTrace, type RequestTrace } from '../src/telemetry/trace-context.js'
import type { RequestSpan, Tracer } from '../src/telemetry/tracing.js'
import type { RouteSeries } from './metrics.js'

/** Fastify's `genReqId`: keep a well-formed incoming X-Request-Id, else make one. */
export function requestId (req: { headers: Record<string, string | string[] | undefined> }): string {
  return requestIdOf(req.headers['x-request-id'])
}

/** The client's X-Request-Id when it is one the gateway accepts, else a new one. */
export function requestIdOf (sent: string | string[] | undefined): string {
  return acceptRequestId(sent) ?? newUuid()
}

/**
 * The path as logged and traced: never the query (it can carry an API key), nor anything but
 * an origin-form path (an absolute-form target can carry userinfo).
 */
function pathOf (url: string): string {
  const q = url.indexOf('?')
  return url.charCodeAt(0) === 47 ? (q === -1 ? url : url.slice(0, q)) : '[not a path]'
}

/**
 * One request as the gateway handles it: who it turned out to be, what was refused, how long
 * the upstream took. When the answer is done (or the connection gone) it writes the access
 * line and records the metrics, once, whoever answered (the pipeline, the 404 handler, the
 * token endpoints).
 */
export class Exchange {
  identity: Identity | undefined = undefined
  error: GatehouseError | undefined = undefined
  /** ms from arrival until the request went upstream (the gateway's own time); -1 until then. */
  forwardedMs = -1
  /** ms from then until the upstream's response headers (or its failure); -1 until then. */
  upstreamMs = -1
  upstreamFailed = false
  /** The path the upstream got when a route's rewrite changed it (without the query). */
  upstreamPath: string | undefined = undefined
  /** The client's address (through trusted proxies), read once. */
  ip = ''
  /** Headers the gateway adds to whatever answer the client gets: the request id, rate-limit state. */
  readonly responseHeaders: string[]
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** The W3C trace this request belongs to: the caller's continued, or a new one. */
  readonly trace: RequestTrace
  /** The request's span, while spans are exported (`telemetry.otlp`). */
  readonly span: RequestSpan | undefined
  /** Told first when the response closes (the upstream call, to let go of what it holds): the exchange's one `close` listener. */
  onClose: { clientClosed: () => void } | undefined = undefined

  constructor (
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    readonly route: RuntimeRoute | undefined,
    private readonly series: RouteSeries,
    private readonly access: AccessLog,
    private readonly counters: DecisionCounters,
    tracer: Tracer | undefined
  ) {
    this.req = request.raw
    this.res = reply.raw
    this.responseHeaders = ['x-request-id', request.id]
    this.trace = requestTrace(this.req.headers)
    this.span =
      tracer === undefined
        ? undefined
        : tracer.startRequest(`${request.method} ${route?.match ?? ''}`.trimEnd(), this.trace.parent, this.trace.tracestate, {
          'http.request.method': request.method,
          'http.route': route?.match,
          'url.path': pathOf(request.originalUrl)
        })
    // 'close' comes once: `on` spares the wrapper `once` makes.
    this.res.on('close', this.closed)
  }

  elapsedMs (): number {
    return this.reply.elapsedTime
  }

  private readonly closed = (): void => {
    this.onClose?.clientClosed()
    this.done()
  }

  private done (): void {
    const { request, res, error: err, identity } = this
    const elapsedMs = this.reply.elapsedTime
    if (err !== undefined && err.status < 500) this.counters.denials.inc({ route: this.route?.match ?? '', code: err.code })
    const status = res.statusCode
    this.series.record(request.method, status, elapsedMs, this.forwardedMs, this.upstreamMs, this.upstreamFailed, err?.code === 'rate_limited')
    const decision = err !== undefined ? (err.status < 500 ? 'deny' : 'error') : this.route === undefined && status >= 400 ? 'deny' : 'allow'
    this.span?.end(status, {
      'client.address': this.ip === '' ? undefined : this.ip,
      'gatehouse.client': identity?.client?.id,
      'gatehouse.user': identity?.user?.id,
      'gatehouse.decision': decision,
      'error.type': err?.code
    })
    const { access } = this
    if (!access.enabled) return
    // Written from the fields, in the order pino wrote them when the line was an object.
    let line = `${access.head()},"reqId":${jsonString(request.id)},"traceId":"${this.trace.traceId}","method":${jsonString(request.method)}` +
      `,"path":${jsonString(pathOf(request.originalUrl))}`
    if (this.route !== undefined) line += `,"route":${jsonString(this.route.match)}`
    if (this.upstreamPath !== undefined) line += `,"upstreamPath":${jsonString(this.upstreamPath)}`
    line += `,"status":${status}`
    // The answer was cut short: the client went away, or the upstream broke off mid-body. A
    // switched WebSocket has no body to finish: its line is written when it closes.
    if (!res.writableFinished && status !== 101) line += ',"incomplete":true'
    line += `,"ms":${Math.round(elapsedMs * 100) / 100}`
    if (identity !== undefined) {
      const client = identity.client?.id
      const user = identity.user?.id
      if (client !== undefined) line += `,"client":${jsonString(client)}`
      if (user !== undefined) line += `,"user":${jsonString(user)}`
      if (identity.authenticators.length > 0) line += `,"auth":${jsonString(identity.authenticators.join(','))}`
    }
    line += `,"decision":"${decision}"`
    if (err !== undefined) {
      line += `,"reason":${jsonString(`${err.code}: ${err.detail}`)}`
      if (err.authenticator !== undefined) line += `,"authenticator":${jsonString(err.authenticator)}`
    }
    access.end(line, 'request')
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    gatehouse: Exchange | undefined
    /** The `server.publicOrigins` entry the request reached; undefined when none are configured. */
    publicOrigin: PublicOrigin | undefined
  }
}

/** Starts an exchange for a request: every answer the gateway gives is observed through one. */
export type Observe = (request: FastifyRequest, reply: FastifyReply, route: RuntimeRoute | undefined, series: RouteSeries) => Exchange

export function observer (logger: Logger, counters: DecisionCounters, tracer: Tracer | undefined): Observe {
  const access = accessLogger(logger)
  return (request, reply, route, series) => (request.gatehouse = new Exchange(request, reply, route, series, access, counters, tracer))
}
