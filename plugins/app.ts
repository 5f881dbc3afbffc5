import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { createServer } from 'node:http'
import type { Gateway } from '../src/gateway.js'
import accessLog, { requestId } from './access-log.js'
import errors from './errors.js'
import requestGuard from './request-guard.js'
import proxy from './proxy.js'
import rateLimit, { routeLimiter } from './rate-limit.js'
import tokenEndpoints from './token-endpoints.js'

/**
 * The public listener's app for one config. It never listens itself: the process's one
 * server dispatches to `app.routing`, so a reload can build a new app and swap it in.
 */
export async function buildApp (gateway: Gateway): Promise<FastifyInstance> {
  const { server } = gateway.config
  const app = Fastify({
    serverFactory: handler => createServer(handler),
    loggerInstance: gateway.logger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    requestIdHeader: false,
    trustProxy: server.trustProxy as boolean | string | string[],
    bodyLimit: server.bodyLimit,
    return503OnClosing: true,
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 1000 }
  }) as unknown as FastifyInstance
  await app.register(accessLog)
  // The guard's hook must be in place before the 404 handler is set, so it runs there too.
  await app.register(requestGuard, { bodyLimit: server.bodyLimit })
  await app.register(errors)
  await app.register(rateLimit, { gateway })
  await app.register(tokenEndpoints, { gateway })
  await app.register(proxy, { gateway, routeHooks: route => routeLimiter(app, gateway, route) })
  return app
}
