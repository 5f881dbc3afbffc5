import type { RouteHandlerMethod } from 'fastify'
import type { RoutingConfig } from '../src/routing/options.js'
import { GatehouseError } from '../src/errors.js'
import type { RuntimeRoute } from '../src/gateway.js'
import { answerPreflight, isPreflight, type CorsPolicy } from '../src/policy/cors.js'
import { judgeTarget } from '../src/routing/request-path.js'
import { answerProblem } from './errors.js'
import type { Exchange, Observe } from './exchange.js'
import type { RouteSeries } from './metrics.js'

/** Answers a CORS preflight itself: 204 with the route's CORS headers, or 403 cors_forbidden without any. */
export function respondPreflight (x: Exchange, policy: CorsPolicy): void {
  const answer = answerPreflight(policy, x.req.headers)
  if (!answer.allowed) {
    x.responseHeaders.push(...answer.headers)
    answerProblem(x, new GatehouseError('cors_forbidden', answer.reason))
    return
  }
  x.res.writeHead(204, [...x.responseHeaders, ...answer.headers])
  x.res.end()
}

export interface RouteAndSeries { route: RuntimeRoute, series: RouteSeries }

/**
 * The OPTIONS handler of a path whose routes answer CORS but do not list OPTIONS: a preflight
 * is answered for the route that serves the method it asks about; any other OPTIONS is the
 * 404 it was before.
 */
export function preflightOnly (routes: readonly RouteAndSeries[], observe: Observe, routing: RoutingConfig): RouteHandlerMethod {
  return async function gatehousePreflight (request, reply) {
    reply.hijack()
    const asked = request.headers['access-control-request-method']
    const hit = routes.find(r => r.route.methods.includes(asked as RuntimeRoute['methods'][number])) ?? routes[0] as RouteAndSeries
    const x = observe(request, reply, hit.route, hit.series)
    try {
      const target = judgeTarget(request.originalUrl, routing)
      if (!isPreflight(request.method, request.headers)) throw new GatehouseError('not_found', `no route for ${request.method} ${target.path}`)
      respondPreflight(x, hit.route.corsPolicy as CorsPolicy)
    } catch (err) {
      answerProblem(x, err)
    }
  }
}
