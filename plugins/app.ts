import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'
import type { Gateway } from '../src/gateway.js'
import accessLog, { requestId } from './access-log.js'
import errors from './errors.js'
import requestGuard from './request-guard.js'
import proxy from './proxy.js'
import tokenEndpoints from './token-endpoints.js'

/** The public listener's app for one config. A reload builds a new one and swaps it in. */
export async function buildApp (gateway: Gateway): Promise<FastifyInstance> {
  const { server } = gateway.config
  const tls = server.tls === undefined
    ? undefined
    : {
        cert: readFileSync(server.tls.cert),
        key: readFileSync(server.tls.key),
        ...(server.tls.clientCa === undefined ? {} : { ca: readFileSync(server.tls.clientCa), requestCert: true, rejectUnauthorized: false })
      }
  const app = Fastify({
    loggerInstance: gateway.logger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    requestIdHeader: false,
    trustProxy: server.trustProxy as boolean | string | string[],
    bodyLimit: server.bodyLimit,
    requestTimeout: server.requestTimeoutMs,
    return503OnClosing: true,
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 1000 },
    ...(tls === undefined ? {} : { https: tls })
  }) as unknown as FastifyInstance
  await app.register(accessLog)
  await app.register(errors)
  await app.register(requestGuard, { bodyLimit: server.bodyLimit })
  await app.register(tokenEndpoints, { gateway })
  await app.register(proxy, { gateway })
  return app
}
