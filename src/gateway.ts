import type { GatewayConfig, RouteConfig, UpstreamConfig } from './config/types.js'
import type { Logger } from './logger.js'
import { createAuthenticators } from './auth/registry.js'
import { LocalCache, type Cache } from './cache/cache.js'
import type { Authenticator } from './auth/types.js'
import { compileIdentityPlan, type IdentityPlan } from './identity/headers.js'
import type { RouteAuth } from './policy/authenticate.js'
import { createRedisClient, type RedisClient } from './cache/redis-client.js'
import { redisLimitStore, type LimitStore } from './policy/rate-limit.js'
import { createTokenService, type TokenService } from './tokens/token-service.js'

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
  cache: Cache
  /** The rate-limit counter store over Redis when `cache.redis` is set; undefined: in-process counters. */
  limitStore: (new () => LimitStore) | undefined
  /** Signs and verifies the gateway's own tokens; built once, shared by the token endpoints and authenticators. */
  tokens: TokenService
  health (): HealthReport
  close (): Promise<void>
}

/**
 * The limiter's own Redis connection. Startup waits briefly for it so the first requests
 * are counted in Redis, but never fails on it: until it connects, routes follow `onRedisError`.
 */
async function limiterRedis (config: GatewayConfig, logger: Logger): Promise<RedisClient | undefined> {
  if (config.cache.redis === undefined || !config.routes.some(r => r.rateLimit !== undefined)) return undefined
  const redis = createRedisClient(config.cache.redis)
  let up = false
  redis.on('ready', () => {
    if (!up) logger.info('rate-limit store connected')
    up = true
  })
  redis.on('error', (err: Error) => {
    if (up) logger.warn({ err: { message: err.message } }, 'rate-limit store connection lost')
    up = false
  })
  await new Promise<void>(resolve => {
    const timer = setTimeout(resolve, 2000)
    redis.once('ready', () => { clearTimeout(timer); resolve() })
  })
  if (!up) logger.warn('rate-limit store not reachable at startup; retrying in the background')
  return redis
}

export async function createGateway (config: GatewayConfig, logger: Logger): Promise<Gateway> {
  const cache = new LocalCache(config.cache.localMaxEntries)
  const tokens = await createTokenService(config, logger)
  const authenticators = await createAuthenticators({ config, logger, cache, tokens })
  const redis = await limiterRedis(config, logger)
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
    limitStore: redis === undefined ? undefined : redisLimitStore(redis),
    tokens,
    health () {
      const checks: Record<string, string> = { config: config.hash.slice(0, 12) }
      if (redis === undefined) return { status: 'ok', checks }
      // Limits still answer without Redis (per onRedisError), so its loss degrades, never downs.
      checks.rateLimitStore = redis.status === 'ready' ? 'ok' : redis.status
      return { status: redis.status === 'ready' ? 'ok' : 'degraded', checks }
    },
    async close () {
      await Promise.all([...authenticators.values()].map(async a => await a.close?.()))
      await cache.close()
      redis?.disconnect()
    }
  }
}
