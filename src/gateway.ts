import type { GatewayConfig, RouteConfig } from './config/types.js'
import type { Logger } from './logger.js'
import { createAuthenticators } from './auth/registry.js'
import { createCache, type CacheCounters, type GatewayCache } from './cache/two-tier.js'
import type { Authenticator, Consumed, OriginObserver } from './auth/types.js'
import { compileIdentityPlan, type IdentityPlan } from './identity/headers.js'
import { createAssertionSigner, type AssertionSigner } from './identity/assertion.js'
import type { RouteAuth } from './policy/authenticate.js'
import { createRedisClient, type RedisClient } from './cache/redis-client.js'
import { redisLimitStore, type LimitStore } from './rate-limit/rate-limit.js'
import { localLimitStore } from './rate-limit/local-limit-store.js'
import { createTokenService, type TokenService } from './tokens/token-service.js'
import { compileTrust, type TrustFn } from './proxy/trust.js'
import { ownCookieNames } from './proxy/headers.js'
import { compileCors, type CorsPolicy } from './policy/cors.js'
import { Balancer } from './proxy/balancer.js'
import { compileRewrite, type Rewrite } from './routing/rewrite.js'
import { RevokedJtis, Revocations, WRITE_BACK_CHECK_MS } from './tokens/revocation.js'
import type { Clock } from './clock.js'
import { createDecisionCounters, type DecisionCounters } from './telemetry/decision-counters.js'
import { UserTokenStore } from './tokens/user-token-store.js'
import { createSealer } from './cache/integrity.js'
import { redisPersistence } from './cache/redis-persistence.js'
import { SecretCheckSlots } from './secrets/secret-check-slots.js'
import type { Tracer } from './telemetry/tracing.js'
import { ephemeralKeySet, type SigningKeySet } from './tokens/signing-keys.js'
import type { JWK } from 'jose'

/** A route with its authenticators resolved, its CORS and rewrite compiled, once, at load. */
export interface RuntimeRoute extends RouteConfig, RouteAuth {
  corsPolicy: CorsPolicy | undefined
  rewritePath: Rewrite | undefined
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
  /**
   * Every credential header, query parameter, cookie and WebSocket subprotocol prefix any configured authenticator reads: removed
   * before forwarding on every route (unless it says `forwardCredentials: true`), so a
   * credential never reaches an upstream that did not ask for it, whichever route it came by.
   */
  credentials: Consumed
  /** The browser-session authenticators' own cookies (session and login, both variants): no upstream may set them. */
  ownCookies: ReadonlySet<string>
  identity: IdentityPlan
  /** `server.trustProxy`, compiled: which hops may speak for the client. */
  trust: TrustFn
  /** Signs `identity.assertion` for each proxied request; undefined when not configured. */
  assertion: AssertionSigner | undefined
  cache: GatewayCache
  /** The rate-limit counters: in Redis when `cache.redis` is set, else in this process (one store per config generation). */
  limits: LimitStore
  /** Signs and verifies the gateway's own tokens; built once, shared by the token endpoints and authenticators. */
  tokens: TokenService
  /** User API tokens in `cache.redis` (the CLI's and admin listener's `tokens` operations); undefined without Redis. */
  userTokens: UserTokenStore | undefined
  /** What every TTL, cooldown, expiry and rate window of this gateway is measured with. */
  clock: Clock
  /** This gateway's scrypt slots, a budget per feature (token endpoint, Basic): never shared with another gateway. */
  secretSlots: SecretCheckSlots
  /** Each upstream's targets: which gets the next request, which are out (the HTTP layer reports outcomes). */
  balancers: Map<string, Balancer>
  /** Policy outcome counters: the process's instruments', shared by its reloads, never by another gateway. */
  counters: DecisionCounters
  /** Where this gateway's spans go (`telemetry.otlp`); undefined when it does not trace. */
  tracer: Tracer | undefined
  health (): HealthReport
  close (): Promise<void>
}

/**
 * The limiter's own Redis connection. Startup waits briefly for it so the first requests
 * are counted in Redis, but never fails on it: until it connects, routes follow `onRedisError`.
 */
async function limiterRedis (config: GatewayConfig, logger: Logger): Promise<RedisClient | undefined> {
  if (config.cache.redis === undefined || !config.routes.some(r => r.rateLimit !== undefined)) return undefined
  const redis = await createRedisClient(config.cache.redis)
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

/** What outlives one config: counters a reload keeps adding to, and who is told about origin calls. */
export interface Instruments {
  cacheCounters?: CacheCounters
  observe?: OriginObserver
  /** The client-token revocations this process knows of: set on the first gateway, kept across reloads. */
  revokedJtis?: RevokedJtis
  /** What every TTL, expiry and window is measured with: the process's caller passes systemClock, tests their own. */
  clock: Clock
  /** The policy outcome counters; made on the first gateway, kept across reloads. */
  counters?: DecisionCounters
  /** The span exporter when `telemetry.otlp` is set: one per process, kept across reloads. */
  tracer?: Tracer | undefined
  /**
   * The signing key without `tokens.signingKeys`: made by the first gateway that needs it, kept
   * across reloads so tokens issued before one stay valid (a cluster worker is given its primary's).
   */
  ephemeralKey?: Promise<SigningKeySet>
  /** The private JWK the ephemeral key set is made of: a cluster worker's, its primary's; undefined: a new one. */
  ephemeralJwk?: JWK
}

/**
 * User API tokens live in Redis and nowhere else: a Redis that keeps nothing through a
 * restart loses every token. Said once per config, never fatal (Redis may be unreachable now).
 */
async function warnUnlessPersistent (redis: RedisClient | undefined, logger: Logger): Promise<void> {
  if (redis?.status !== 'ready') return
  try {
    const persistence = await redisPersistence(redis)
    if (persistence === 'none') {
      logger.warn(
        'cache.redis holds the user API tokens but has neither AOF nor RDB snapshots: a ' +
          'Redis restart loses every token; turn on appendonly yes (see docs/user-tokens.md)'
      )
    }
    if (persistence === 'unknown') {
      logger.info(
        'cache.redis holds the user API tokens; AOF is off and CONFIG is not allowed, so whether RDB snapshots keep them through a restart is unknown'
      )
    }
  } catch (err) {
    logger.warn({ err: { message: (err as Error).message } }, 'could not ask redis whether it persists the user API tokens')
  }
}

export async function createGateway (config: GatewayConfig, logger: Logger, instruments: Instruments): Promise<Gateway> {
  const { clock, tracer } = instruments
  const counters = instruments.counters ??= createDecisionCounters()
  const cache = await createCache(config, logger, instruments.cacheCounters, clock, tracer)
  const userTokens = cache.redis === undefined ? undefined : new UserTokenStore(cache.redis, createSealer(config.cache.integrityKey), cache, clock)
  if ([...config.authenticators.values()].some(a => a.type === 'userToken')) await warnUnlessPersistent(cache.redis, logger)
  instruments.revokedJtis ??= new RevokedJtis(undefined, clock)
  const revocations = new Revocations(cache, instruments.revokedJtis, logger, WRITE_BACK_CHECK_MS, clock)
  const secretSlots = new SecretCheckSlots(['oauth', ...[...config.authenticators.values()].some(a => a.type === 'basic') ? ['basic' as const] : []])
  let tokens: TokenService
  let authenticators: Map<string, Authenticator>
  try {
    const ephemeral = async (): Promise<SigningKeySet> => await (instruments.ephemeralKey ??= ephemeralKeySet(instruments.ephemeralJwk))
    tokens = await createTokenService(config, logger, revocations, clock, ephemeral)
    authenticators = await createAuthenticators({
      config, logger, cache, tokens, observe: instruments.observe, userTokens, clock, secretSlots, counters, tracer
    })
  } catch (err) {
    revocations.close()
    await cache.close()
    throw err
  }
  const redis = await limiterRedis(config, logger)
  const limited = config.routes.some(r => r.rateLimit !== undefined)
  const resolve = (names: string[]): Authenticator[] => names.map(n => authenticators.get(n) as Authenticator)
  const routes = config.routes.map((r): RuntimeRoute => {
    const clientAuth = resolve(r.client)
    const userAuth = resolve(r.user)
    return {
      ...r,
      clientAuth,
      userAuth,
      corsPolicy: r.cors === undefined ? undefined : compileCors(r.cors, r.methods),
      // The loader has checked the rewrite against the match: here it compiles.
      rewritePath: r.rewrite === undefined ? undefined : compileRewrite(r.match, r.rewrite) as Rewrite
    }
  })
  const balancers = new Map([...config.upstreams].map(([name, u]) => [name, new Balancer(u.targets, { mode: u.balance, ...u.passiveHealth, clock })]))
  return {
    config,
    logger,
    routes,
    balancers,
    authenticators,
    credentials: {
      headers: [...new Set([...authenticators.values()].flatMap(a => a.consumes.headers))],
      query: [...new Set([...authenticators.values()].flatMap(a => a.consumes.query))],
      cookies: [...new Set([...authenticators.values()].flatMap(a => a.consumes.cookies ?? []))],
      protocols: [...new Set([...authenticators.values()].flatMap(a => a.consumes.protocols ?? []))]
    },
    ownCookies: ownCookieNames([...authenticators.values()].filter(a => a.browserSession === true).flatMap(a => a.consumes.cookies ?? [])),
    identity: compileIdentityPlan(config.identity),
    trust: compileTrust(config.server.trustProxy),
    assertion: config.identity.assertion === undefined ? undefined : createAssertionSigner(config.identity.assertion, tokens),
    cache,
    limits:
      redis === undefined
        ? localLimitStore({ maxEntries: config.cache.localMaxEntries, maxSize: config.cache.localMaxSize }, clock)
        : redisLimitStore(redis, tracer),
    tokens,
    userTokens,
    clock,
    secretSlots,
    counters,
    tracer,
    health () {
      // Redis down is degraded, not down: the local tier, the origin and onRedisError still answer.
      // The same fields whatever the config: a probe or dashboard never meets a missing key.
      const checks: Record<string, string> = {
        config: config.hash.slice(0, 12),
        redis: cache.redisState,
        rateLimitStore: redis !== undefined ? (redis.status === 'ready' ? 'ok' : redis.status) : limited ? 'local' : 'none',
        upstreams: 'ok'
      }
      // An upstream with no target in service: its routes answer 502 (or try a target out anyway); the rest still serve.
      const down = [...balancers].filter(([, b]) => !b.healthy()).map(([name]) => name)
      if (down.length > 0) checks.upstreams = `no healthy target: ${down.join(', ')}`
      const degraded = cache.redisState === 'down' || (redis !== undefined && redis.status !== 'ready') || down.length > 0
      return { status: degraded ? 'degraded' : 'ok', checks }
    },
    async close () {
      await Promise.all([...authenticators.values()].map(async a => await a.close?.()))
      revocations.close()
      await cache.close()
      redis?.disconnect()
    }
  }
}
