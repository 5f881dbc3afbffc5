import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { http } from '../src/node-http.js'
import type { Gateway } from '../src/gateway.js'
import type { BufferBudget } from '../src/proxy/buffer-budget.js'
import { routerUrl } from '../src/routing/request-path.js'
import { routerOptions } from '../src/routing/route-table.js'
import { GatehouseError } from '../src/errors.js'
import { compilePublicOrigins } from '../src/routing/public-origin.js'
import errors, { answerProblem } from './errors.js'
import loginEndpoints from './login-endpoints.js'
import { observer, requestId } from './exchange.js'
import type { Metrics } from './metrics.js'
import proxy from './proxy.js'
import tokenEndpoints from './token-endpoints.js'
import { lazySchemaCompilers } from './lazy-schema-compilers.js'

/**
 * The public listener's app for one config. It never listens itself: the process's one
 * server dispatches to `app.routing`, so a reload can build a new app and swap it in.
 */
export async function buildApp (gateway: Gateway, metrics: Metrics, buffers: BufferBudget): Promise<FastifyInstance> {
  const { server } = gateway.config
  const { routing } = server
  const observe = observer(gateway.logger, gateway.counters, gateway.tracer)
  const unrouted = metrics.route('', undefined)
  const app = Fastify({
    serverFactory: handler => http.createServer(handler),
    schemaController: { compilersFactory: lazySchemaCompilers },
    loggerInstance: gateway.logger,
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: the gateway logs a request once, in its access line; the
    // rare request-scoped line (an internal error) names the request id itself.
    childLoggerFactory: logger => logger,
    genReqId: requestId,
    requestIdHeader: false,
    // One reading of trustProxy for the whole request path: Fastify's protocol and host agree with the pipeline's peer.
    trustProxy: gateway.trust,
    bodyLimit: server.bodyLimit,
    return503OnClosing: true,
    exposeHeadRoutes: false,
    // Matching is never stricter than the upstreams': /API/x and /api/x/ are the route of /api/x.
    routerOptions: routerOptions(routing),
    // With `;` parameters allowed, routes match each segment without its parameter, as Tomcat and Spring read it.
    ...(routing.allowSemicolons ? { rewriteUrl: (req: { url?: string }) => routerUrl(req.url ?? '/') } : {}),
    // What the router itself refuses (a path it cannot decode) is answered like every other refusal.
    frameworkErrors: (error, request, reply) => {
      reply.hijack()
      answerProblem(observe(request, reply, undefined, unrouted), error)
    }
  }) as unknown as FastifyInstance
  app.decorateRequest('gatehouse', undefined)
  app.decorateRequest('publicOrigin', undefined)
  const publicOrigin = compilePublicOrigins(server.publicOrigins)
  if (publicOrigin !== undefined) {
    // Before any route, token or login endpoint: what login and CSRF build on is a configured origin, never the client's Host.
    app.addHook('onRequest', async (request, reply) => {
      request.publicOrigin = publicOrigin(request.protocol, request.host)
      if (request.publicOrigin !== undefined) return
      reply.hijack()
      answerProblem(
        observe(request, reply, undefined, unrouted),
        new GatehouseError('misdirected_request', 'this gateway does not serve the host this request names (server.publicOrigins)')
      )
    })
  }
  await app.register(errors, { observe, metrics, routing })
  await app.register(tokenEndpoints, { gateway, observe, metrics })
  await app.register(loginEndpoints, { gateway, observe, metrics })
  await app.register(proxy, { gateway, observe, metrics, buffers })
  return app
}
