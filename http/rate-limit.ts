import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { isGatehouseError } from '../src/errors.js'
import type { Gateway, RuntimeRoute } from '../src/gateway.js'
import { effectiveLimit, limitKey, limitScope, onLimitStoreError, rateLimited } from '../src/policy/rate-limit.js'
import { localLimitStore } from '../src/cache/local-limit-store.js'
import type { Exchange } from './exchange.js'

/** A route's limiter: counts the request as the identity found; throws 429 (or 503, closed) when refused. */
export type RouteLimiter = (x: Exchange) => Promise<void>

/**
 * @fastify/rate-limit, registered once per app: no global limit, counters in Redis when
 * configured, else in one in-process LRU bounded like the local cache tier (entries and bytes).
 */
export default fp<{ gateway: Gateway }>(async function gatehouseRateLimit (app, { gateway }) {
  const { localMaxEntries, localMaxSize } = gateway.config.cache
  await app.register(rateLimit, {
    global: false,
    enableDraftSpec: true,
    skipOnError: false,
    store: gateway.limitStore ?? localLimitStore({ maxEntries: localMaxEntries, maxSize: localMaxSize }, gateway.clock)
  })
}, { fastify: '5.x', name: 'gatehouse-rate-limit' })

/**
 * The route's limiter, run after authentication and authorization (it counts by identity,
 * and a refused request spends no quota); undefined when the route has no limit. Its
 * `RateLimit-*` headers go on whatever answer the client gets.
 */
export function routeLimiter (app: FastifyInstance, gateway: Gateway, route: RuntimeRoute): RouteLimiter | undefined {
  const limit = route.rateLimit
  if (limit === undefined) return undefined
  const scope = limitScope(route, gateway.routes)
  const exchange = (request: { gatehouse: Exchange | undefined }): Exchange => request.gatehouse as Exchange
  const check = app.rateLimit({
    keyGenerator: request => limitKey(scope, limit.by, exchange(request).identity, normalizeIP(exchange(request).ip)),
    max: request => effectiveLimit(limit, exchange(request).identity).max,
    timeWindow: request => effectiveLimit(limit, exchange(request).identity).windowMs,
    errorResponseBuilder: (_request, ctx) => rateLimited(ctx.max, ctx.ttl)
  }) as unknown as (request: unknown, reply: { header: (name: string, value: unknown) => void }) => Promise<void>
  return async function gatehouseRateLimit (x) {
    const headers = { header: (name: string, value: unknown) => { x.responseHeaders.push(name, String(value)) } }
    try {
      await check(x.request, headers)
    } catch (err) {
      if (isGatehouseError(err)) throw err
      onLimitStoreError({ match: route.match, rateLimit: limit }, err, x.request.log.child({ reqId: x.request.id }))
    }
  }
}
