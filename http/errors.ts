import fp from 'fastify-plugin'
import type { RoutingConfig } from '../src/routing/options.js'
import { GatehouseError, problemAnswer, toGatehouseError } from '../src/errors.js'
import { judgeTarget } from '../src/routing/request-path.js'
import type { Exchange, Observe } from './exchange.js'
import type { Metrics } from './metrics.js'

/**
 * Answers an error as problem+json on the raw response. Every error the gateway answers goes
 * through here, with a stable code; no stack, token or secret ever reaches the body.
 */
export function answerProblem (x: Exchange, error: unknown): void {
  const err = toGatehouseError(error)
  x.error = err
  if (err.code === 'internal_error') x.request.log.error({ err: error, reqId: x.request.id }, 'internal error')
  const { res } = x
  if (res.headersSent || res.destroyed) {
    // Part of an answer is out already: only a broken connection tells the client it is not whole.
    res.destroy()
    return
  }
  const { status, headers, body } = problemAnswer(err, x.request.id, x.responseHeaders)
  // Answered before the body was read: close, or the connection stays busy draining it.
  if (!x.req.complete) headers.push('connection', 'close')
  res.writeHead(status, headers)
  res.end(body)
}

export interface ErrorsOptions {
  observe: Observe
  metrics: Metrics
  routing: RoutingConfig
}

/** Errors Fastify meets outside the route pipeline (a malformed body, no route) are answered the same way. */
export default fp<ErrorsOptions>(async function gatehouseErrors (app, { observe, metrics, routing }) {
  const unrouted = metrics.route('', undefined)
  // A request no route serves is answered by its target alone, as the decision answers it: its
  // body is never read. Parsed, a body that is not JSON, or one an upgrade leaves on the socket
  // (Content-Length with no bytes), turned the 404 or the path guard's 400 into another 400.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  app.setErrorHandler((error, request, reply) => {
    const x = request.gatehouse ?? observe(request, reply, undefined, unrouted)
    reply.hijack()
    answerProblem(x, error)
  })
  app.setNotFoundHandler((request, reply) => {
    reply.hijack()
    const x = observe(request, reply, undefined, unrouted)
    try {
      // A path the router could not place may still be one a server would read as another.
      const target = judgeTarget(request.originalUrl, routing)
      answerProblem(x, new GatehouseError('not_found', `no route for ${request.method} ${target.path}`))
    } catch (err) {
      answerProblem(x, err)
    }
  })
}, { name: 'gatehouse-errors' })
