import { isIPv6 } from 'node:net'
import { Address6 } from 'ip-address'
import { GatehouseError } from '../errors.js'
import type { RouteConfig } from '../config/types.js'
import type { RedisClient } from '../cache/redis-client.js'
import type { Identity } from './authenticate.js'
import type { DecisionCounters } from './decision-counters.js'
import { currentTracer, redisSpanAttributes } from '../telemetry/tracing.js'

export type RouteLimit = NonNullable<RouteConfig['rateLimit']>

/**
 * The route's part of its counter keys: its pattern, plus its methods when another route
 * shares the pattern. A route's counters are its own: one caller on two routes is counted twice.
 */
export function limitScope (route: Pick<RouteConfig, 'index' | 'match' | 'methods'>, routes: ReadonlyArray<Pick<RouteConfig, 'index' | 'match'>>): string {
  return routes.some(r => r.match === route.match && r.index !== route.index) ? `${route.match} ${route.methods.join(',')}` : route.match
}

/**
 * Who a request is counted as. A principal the request does not carry (an optional one
 * left out) is replaced by the caller's address, so anonymous callers share no bucket.
 */
export function limitKey (scope: string, by: RouteLimit['by'], identity: Identity | undefined, ip: string): string {
  const client = identity?.client === undefined ? `ip:${ip}` : `client:${identity.client.id}`
  const user = identity?.user === undefined ? `ip:${ip}` : `user:${identity.user.id}`
  switch (by) {
    case 'client': return `${scope}|${client}`
    case 'user': return `${scope}|${user}`
    case 'client+user': return `${scope}|${client}|${user}`
    case 'ip': return `${scope}|ip:${ip}`
  }
}

/** The route's limit, or the authenticated client's own tier when it has one. */
export function effectiveLimit (route: RouteLimit, identity: Identity | undefined): { max: number, windowMs: number } {
  return identity?.client?.client.rateLimit ?? route
}

/** The 429, with the headers the rate-limit draft and RFC 9110 ask for. */
export function rateLimited (max: number, ttlMs: number): GatehouseError {
  const reset = String(Math.max(1, Math.ceil(ttlMs / 1000)))
  return new GatehouseError('rate_limited', `rate limit reached (${max} per window); retry in ${reset}s`, {
    headers: { 'retry-after': reset, 'ratelimit-limit': String(max), 'ratelimit-remaining': '0', 'ratelimit-reset': reset }
  })
}

/**
 * What a failed counter store means for the request. `open` (the default) lets it through:
 * Redis is a cache, and an outage must not take the API down. `closed` refuses with 503
 * `auth_unavailable` and a Retry-After, like any check that cannot be made.
 */
export function onLimitStoreError (route: Pick<RouteConfig, 'match'> & { rateLimit: RouteLimit }, err: unknown, logger: { warn: (obj: object, msg: string) => void }, counters: DecisionCounters): void {
  const outcome = route.rateLimit.onRedisError === 'open' ? 'allowed' : 'refused'
  counters.rateLimitStoreErrors.inc({ route: route.match, outcome })
  logger.warn({ route: route.match, outcome, err: { message: (err as Error).message } }, 'rate-limit store unavailable')
  if (outcome === 'refused') {
    throw new GatehouseError('auth_unavailable', 'the rate-limit store is unreachable', { cause: err, headers: { 'retry-after': '5' } })
  }
}

/** IPv6 callers are counted by their /64, as one host usually holds the whole prefix; a mapped IPv4 as the IPv4. */
export function limitIp (ip: string): string {
  if (!isIPv6(ip)) return ip.toLowerCase()
  const address = new Address6(ip)
  if (address.isMapped4()) return address.to4().correctForm()
  return new Address6(`${ip}/64`).startAddress().correctForm()
}

/**
 * Counts one hit under `key`: the RateLimit-* headers for the answer, or the 429 once the
 * window's count is past `max`. A store that fails rejects with its own error.
 */
export async function countHit (store: LimitStore, key: string, max: number, windowMs: number): Promise<Array<[string, string]>> {
  const { current, ttl } = await new Promise<{ current: number, ttl: number }>((resolve, reject) => {
    store.incr(key, (err, result) => { if (err !== null) reject(err); else resolve(result as { current: number, ttl: number }) }, windowMs, max)
  })
  if (current > max) throw rateLimited(max, ttl)
  return [['ratelimit-limit', String(max)], ['ratelimit-remaining', String(Math.max(0, max - current))], ['ratelimit-reset', String(Math.ceil(ttl / 1000))]]
}

/** A counter store: count one hit, answer the count and the window's remaining ms (@fastify/rate-limit's store contract, kept). */
export interface LimitStore {
  incr (key: string, cb: (err: Error | null, result?: { current: number, ttl: number }) => void, windowMs: number, max: number): void
  child (routeOptions: unknown): LimitStore
}

// INCR and the first PEXPIRE in one script: atomic across every instance sharing the Redis.
const INCR_LUA = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`

const PREFIX = 'gatehouse:v1:ratelimit:'
const INCR_SPAN = { ...redisSpanAttributes('EVALSHA'), 'gatehouse.rate_limit': true }

/**
 * Counters in Redis, shared by every instance. One store serves every route (keys carry the
 * route), so `child` is itself; each call is one round trip.
 */
export function redisLimitStore (redis: RedisClient): new () => LimitStore {
  redis.defineCommand('gatehouseRateLimit', { numberOfKeys: 1, lua: INCR_LUA })
  const run = (redis as unknown as { gatehouseRateLimit: (key: string, windowMs: number) => Promise<[number, number]> }).gatehouseRateLimit.bind(redis)
  return class RedisLimitStore implements LimitStore {
    incr (key: string, cb: (err: Error | null, result?: { current: number, ttl: number }) => void, windowMs: number): void {
      const tracer = currentTracer()
      const counted = tracer === undefined ? run(PREFIX + key, windowMs) : tracer.inSpan('redis EVALSHA', 'client', INCR_SPAN, async () => await run(PREFIX + key, windowMs))
      counted.then(([current, ttl]) => cb(null, { current, ttl }), (err: Error) => cb(err))
    }

    child (): LimitStore {
      return this
    }
  }
}
