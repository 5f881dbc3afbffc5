import type { GatewayConfig, RouteConfig, UpstreamConfig } from './config/types.js'
import type { Logger } from './logger.js'
import { createAuthenticators } from './auth/registry.js'
import { createCache, type GatewayCache } from './cache/two-tier.js'
import type { Authenticator } from './auth/types.js'
import { compileIdentityPlan, type IdentityPlan } from './identity/headers.js'
import type { RouteAuth } from './policy/authenticate.js'

export interface RuntimeRoute extends RouteConfig, RouteAuth {
  upstreamConfig: UpstreamConfig
  /** Every header any of the route's authenticators reads. */
  credentialHeaders: string[]
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down'
  checks: Record<string, string>
}

/** Everything the request path needs, built once from a config: routes resolved, keys imported. */
export interface Gateway {
  config: GatewayConfig
  logger: Logger
  routes: RuntimeRoute[]
  authenticators: Map<string, Authenticator>
  identity: IdentityPlan
  cache: GatewayCache
  health (): HealthReport
  close (): Promise<void>
}

export async function createGateway (config: GatewayConfig, logger: Logger): Promise<Gateway> {
  const cache = await createCache(config, logger)
  let authenticators: Map<string, Authenticator>
  try {
    authenticators = await createAuthenticators({ config, logger, cache })
  } catch (err) {
    await cache.close()
    throw err
  }
  const resolve = (names: string[]): Authenticator[] => names.map(n => authenticators.get(n) as Authenticator)
  const routes = config.routes.map((r): RuntimeRoute => {
    const clientAuth = resolve(r.client)
    const userAuth = resolve(r.user)
    return {
      ...r,
      clientAuth,
      userAuth,
      upstreamConfig: config.upstreams.get(r.upstream) as UpstreamConfig,
      credentialHeaders: [...new Set([...clientAuth, ...userAuth].flatMap(a => a.consumes.headers))]
    }
  })
  return {
    config,
    logger,
    routes,
    authenticators,
    identity: compileIdentityPlan(config.identity),
    cache,
    health: () => {
      // Redis down is degraded, not down: the local tier and the origin still answer.
      const redis = cache.redisState
      return { status: redis === 'down' ? 'degraded' : 'ok', checks: { config: config.hash.slice(0, 12), redis } }
    },
    async close () {
      await Promise.all([...authenticators.values()].map(async a => await a.close?.()))
      await cache.close()
    }
  }
}
