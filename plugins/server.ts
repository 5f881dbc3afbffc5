import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '../src/config/load.js'
import type { GatewayConfig } from '../src/config/types.js'
import { createGateway, type Gateway } from '../src/gateway.js'
import { createLogger, type Logger } from '../src/logger.js'
import { buildApp } from './app.js'
import { buildAdminApp } from './health.js'
import { purgeToken } from '../src/cache/purge.js'

export interface RunningGateway {
  gateway: Gateway
  app: FastifyInstance
  admin: FastifyInstance | undefined
  /** `http://host:port` of the public listener (https with TLS). */
  url: string
  adminUrl: string | undefined
  close (): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  env?: NodeJS.ProcessEnv
}

function urlOf (app: FastifyInstance, scheme: string): string {
  const addr = app.server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`
}

/** Starts the public and admin listeners for one loaded config. */
export async function startFromConfig (config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const credentialHeaders = [...config.authenticators.values()].flatMap(a => 'header' in a.spec && typeof a.spec.header === 'string' ? [a.spec.header] : [])
  const logger = options.logger ?? createLogger(config.server.logLevel, credentialHeaders)
  const gateway = await createGateway(config, logger)
  const app = await buildApp(gateway)
  await app.listen({ host: config.server.listen.host, port: config.server.listen.port })
  let admin: FastifyInstance | undefined
  if (config.server.admin !== undefined) {
    admin = await buildAdminApp(logger, () => gateway.health(), async token => await purgeToken(gateway.cache, token))
    await admin.listen({ host: config.server.admin.host, port: config.server.admin.port })
  }
  const url = urlOf(app, config.server.tls === undefined ? 'http' : 'https')
  logger.info({ url, admin: admin === undefined ? undefined : urlOf(admin, 'http'), routes: gateway.routes.length, config: config.file, hash: config.hash.slice(0, 12) }, 'gatehouse listening')
  return {
    gateway,
    app,
    admin,
    url,
    adminUrl: admin === undefined ? undefined : urlOf(admin, 'http'),
    async close () {
      await app.close()
      await admin?.close()
      await gateway.close()
    }
  }
}

export async function startGateway (file: string, options: StartOptions = {}): Promise<RunningGateway> {
  return await startFromConfig(await loadConfig(file, options.env), options)
}
