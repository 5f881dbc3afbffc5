import { isIPv6 } from 'node:net'
import { GatehouseError } from '../errors.js'
import type { RouteConfig } from '../config/types.js'
import type { RedisClient } from '../cache/redis-client.js'
import type { Identity } from '../policy/authenticate.js'
import type { DecisionCounters } from '../telemetry/decision-counters.js'
import { redisSpanAttributes, type Tracer } from '../telemetry/tracing.js'

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
export function onLimitStoreError (
  route: Pick<RouteConfig, 'match'> & { rateLimit: RouteLimit },
  err: unknown,
  logger: { warn: (obj: object, msg: string) => void },
  counters: DecisionCounters
): void {
  const outcome = route.rateLimit.onRedisError === 'open' ? 'allowed' : 'refused'
  counters.rateLimitStoreErrors.inc({ route: route.match, outcome })
  logger.warn({ route: route.match, outcome, err: { message: (err as Error).message } }, 'rate-limit store unavailable')
  if (outcome === 'refused') {
    throw new GatehouseError('auth_unavailable', 'the rate-limit store is unreachable', { cause: err, headers: { 'retry-after': '5' } })
  }
}

/** A fixed window's count: the hits in it so far, and the ms until it ends (0: no window running). */
export interface WindowCount { current: number, ttlMs: number }

/** Where counters live: in this process (local-limit-store.ts) or in Redis, shared. */
export interface LimitStore {
  /** Counts one hit on `key`; a window of `windowMs` starts when none is running. */
  incr (key: string, windowMs: number): Promise<WindowCount>
  /** The count, not counting this call. */
  read (key: string, windowMs: number): Promise<WindowCount>
}

/** What a limit answers for one request: whether it may pass, and the `RateLimit-*` values. */
export interface LimitVerdict { allowed: boolean, limit: number, remaining: number, resetMs: number }

/**
 * A fixed-window limit over a store: `max` requests per window, the request that makes it
 * `max + 1` refused. `dryRun` answers whether a request would pass without spending quota.
 * A store failure is thrown: what it means is the route's `onRedisError` (onLimitStoreError).
 */
export async function hit (store: LimitStore, key: string, max: number, windowMs: number, options: { dryRun?: boolean } = {}): Promise<LimitVerdict> {
  const { current, ttlMs } = options.dryRun === true ? await store.read(key, windowMs) : await store.incr(key, windowMs)
  const counted = options.dryRun === true ? current + 1 : current
  return { allowed: counted <= max, limit: max, remaining: Math.max(0, max - current), resetMs: ttlMs }
}

/**
 * Counts one hit under `key`: the RateLimit-* headers for the answer, or the 429 once the
 * window's count is past `max`. A store that fails rejects with its own error.
 */
export async function countHit (store: LimitStore, key: string, max: number, windowMs: number): Promise<Array<[string, string]>> {
  const verdict = await hit(store, key, max, windowMs)
  if (!verdict.allowed) throw rateLimited(max, verdict.resetMs)
  const flat = limitHeaders(verdict)
  return [[flat[0] as string, flat[1] as string], [flat[2] as string, flat[3] as string], [flat[4] as string, flat[5] as string]]
}

/** The `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers) a passed request's answer carries, as name/value pairs. */
export function limitHeaders (verdict: LimitVerdict): string[] {
  return [
    'ratelimit-limit',
    String(verdict.limit),
    'ratelimit-remaining',
    String(verdict.remaining),
    'ratelimit-reset',
    String(Math.ceil(verdict.resetMs / 1000))
  ]
}

/**
 * The address a caller is counted by: IPv4 as is, an IPv4-mapped IPv6 address as its IPv4,
 * any other IPv6 address as its /64 (one subscriber's network: a host picks any address in
 * it), written the RFC 5952 way.
 */
export function limitAddress (ip: string): string {
  if (!isIPv6(ip)) return ip.toLowerCase()
  const groups = ipv6Groups(ip)
  if (groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.')
  }
  return rfc5952([...groups.slice(0, 4), 0, 0, 0, 0])
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted IPv4 is two groups; a zone is dropped). */
function ipv6Groups (ip: string): number[] {
  let text = ip.split('%')[0]!
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined]
  const parse = (part: string): number[] => part === '' ? [] : part.split(':').map(g => parseInt(g, 16))
  const left = parse(head)
  if (tail === undefined) return left
  const right = parse(tail)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/** RFC 5952 §4: lower-case hex without leading zeros, the longest run of two or more zero groups (the first of equals) as `::`. */
function rfc5952 (groups: number[]): string {
  let best = { at: -1, length: 1 }
  for (let i = 0; i < 8;) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > best.length) best = { at: i, length: j - i }
    i = j === i ? i + 1 : j
  }
  const hex = groups.map(g => g.toString(16))
  if (best.at === -1) return hex.join(':')
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`
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

// A key with no expiry is not a window (INCR_LUA always sets one): it reads as none running.
const READ_LUA = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {0, 0} end
return {tonumber(redis.call('GET', KEYS[1]) or '0'), ttl}
`

const PREFIX = 'gatehouse:v1:ratelimit:'
const INCR_SPAN = { ...redisSpanAttributes('EVALSHA'), 'gatehouse.rate_limit': true }

type Script = (key: string, windowMs: number) => Promise<[number, number]>

/** Counters in Redis, shared by every instance and every route (keys carry the route); each call is one round trip. */
export function redisLimitStore (redis: RedisClient, tracer: Tracer | undefined): LimitStore {
  redis.defineCommand('gatehouseRateLimit', { numberOfKeys: 1, lua: INCR_LUA })
  redis.defineCommand('gatehouseRateLimitRead', { numberOfKeys: 1, lua: READ_LUA })
  const scripts = redis as unknown as { gatehouseRateLimit: Script, gatehouseRateLimitRead: Script }
  const run = async (script: Script, key: string, windowMs: number): Promise<WindowCount> => {
    const [current, ttlMs] = tracer === undefined
      ? await script.call(redis, PREFIX + key, windowMs)
      : await tracer.inSpan('redis EVALSHA', 'client', INCR_SPAN, async () => await script.call(redis, PREFIX + key, windowMs))
    return { current, ttlMs }
  }
  return {
    incr: async (key, windowMs) => await run(scripts.gatehouseRateLimit, key, windowMs),
    read: async (key, windowMs) => await run(scripts.gatehouseRateLimitRead, key, windowMs)
  }
}
