import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Logger } from '../src/logger.js'
import type { HealthReport } from '../src/gateway.js'

/** The admin listener: liveness and readiness, on their own port, never reachable through routes. */
export async function buildAdminApp (logger: Logger, health: () => HealthReport): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) }) as unknown as FastifyInstance
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const report = health()
    reply.code(report.status === 'down' ? 503 : 200)
    return report
  })
  return app
}
