import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { createHash, timingSafeEqual } from 'node:crypto'
import { GatehouseError, renderChallenge, toProblem } from '../src/errors.js'
import type { Logger } from '../src/logger.js'
import type { Metrics } from './metrics.js'
import type { HealthReport } from '../src/gateway.js'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * With `server.adminToken`, `/metrics` and `POST /cache/purge` want `Authorization: Bearer
 * <token>`, compared in constant time (as digests: equal lengths whatever was sent).
 * Health probes stay open: a load balancer or orchestrator asks them without credentials.
 */
function adminGuard (adminToken: string | undefined): ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined {
  if (adminToken === undefined) return undefined
  const expected = digest(adminToken)
  return async function requireAdminToken (request, reply) {
    const header = request.headers.authorization
    const presented = typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : undefined
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return
    const err = new GatehouseError(presented === undefined ? 'missing_credentials' : 'invalid_credentials', 'this admin endpoint wants the admin token (Authorization: Bearer …)')
    await reply.code(err.status)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('www-authenticate', renderChallenge({ scheme: 'Bearer', params: { realm: 'gatehouse-admin' } }))
      .send(JSON.stringify(toProblem(err, request.id)))
  }
}

/** The admin listener: liveness, readiness and metrics, on their own port, never reachable through routes. */
export async function buildAdminApp (logger: Logger, health: () => HealthReport, purge: (token: string) => Promise<void>, metrics: Metrics, adminToken: string | undefined): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) }) as unknown as FastifyInstance
  const guard = adminGuard(adminToken)
  const guarded = guard === undefined ? {} : { onRequest: guard }
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const report = health()
    reply.code(report.status === 'down' ? 503 : 200)
    return report
  })
  app.get('/metrics', guarded, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return await metrics.render()
  })
  app.post<{ Body: { token?: unknown } }>('/cache/purge', {
    ...guarded,
    schema: { body: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 1 } } } }
  }, async (request, reply) => {
    try {
      await purge(request.body.token as string)
    } catch (err) {
      request.log.warn({ err: { message: (err as Error).message } }, 'cache purge incomplete')
      reply.code(503)
      return { purged: false, detail: (err as Error).message }
    }
    return { purged: true }
  })
  return app
}
