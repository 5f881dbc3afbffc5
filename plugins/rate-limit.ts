import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isGatehouseError } from '../src/errors.js'
import type { Gateway, RuntimeRoute } from '../src/gateway.js'
import { effectiveLimit, limitKey, limitScope, onLimitStoreError, rateLimited } from '../src/policy/rate-limit.js'
import { localLimitStore } from '../src/cache/local-limit-store.js'
import './types.js'

export type RouteHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

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
    store: gateway.limitStore ?? localLimitStore({ maxEntries: localMaxEntries, maxSize: localMaxSize })
  })
}, { fastify: '5.x', name: 'gatehouse-rate-limit' })

/**
 * The route's limiter, to run after authentication and authorization (it counts by
 * identity, and a refused request spends no quota); none when the route has no limit.
 */
export function routeLimiter (app: FastifyInstance, gateway: Gateway, route: RuntimeRoute): RouteHook[] {
  const limit = route.rateLimit
  if (limit === undefined) return []
  const scope = limitScope(route, gateway.routes)
  const check = app.rateLimit({
    keyGenerator: request => limitKey(scope, limit.by, request.gatehouse.identity, normalizeIP(request.ip)),
    max: request => effectiveLimit(limit, request.gatehouse.identity).max,
    timeWindow: request => effectiveLimit(limit, request.gatehouse.identity).windowMs,
    errorResponseBuilder: (_request, ctx) => rateLimited(ctx.max, ctx.ttl)
  })
  return [async function gatehouseRateLimit (request, reply) {
    try {
      await check.call(app, request, reply)
    } catch (err) {
      if (isGatehouseError(err)) throw err
      onLimitStoreError({ match: route.match, rateLimit: limit }, err, request.log)
    }
  }]
}
