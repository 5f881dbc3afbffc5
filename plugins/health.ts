import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Logger } from '../src/logger.js'
import type { Metrics } from './metrics.js'
import type { HealthReport } from '../src/gateway.js'

/** The admin listener: liveness, readiness and metrics, on their own port, never reachable through routes. */
export async function buildAdminApp (logger: Logger, health: () => HealthReport, purge: (token: string) => Promise<void>, metrics: Metrics): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) }) as unknown as FastifyInstance
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const report = health()
    reply.code(report.status === 'down' ? 503 : 200)
    return report
  })
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return await metrics.render()
  })
  app.post<{ Body: { token?: unknown } }>('/cache/purge', {
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
