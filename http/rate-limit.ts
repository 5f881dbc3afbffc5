import type { Gateway, RuntimeRoute } from '../src/gateway.js'
import { effectiveLimit, hit, limitAddress, limitHeaders, limitKey, limitScope, onLimitStoreError, rateLimited, type LimitStore } from '../src/policy/rate-limit.js'
import type { Exchange } from './exchange.js'

/** A route's limiter: counts the request as the identity found; throws 429 (or 503, closed) when refused. */
export type RouteLimiter = (x: Exchange) => Promise<void>

/**
 * The route's limiter, run after authentication and authorization (it counts by identity,
 * and a refused request spends no quota); undefined when the route has no limit. Its
 * `RateLimit-*` headers go on whatever answer the client gets.
 */
export function routeLimiter (store: LimitStore, gateway: Gateway, route: RuntimeRoute): RouteLimiter | undefined {
  const limit = route.rateLimit
  if (limit === undefined) return undefined
  const scope = limitScope(route, gateway.routes)
  return async function gatehouseRateLimit (x) {
    const { max, windowMs } = effectiveLimit(limit, x.identity)
    let verdict
    try {
      verdict = await hit(store, limitKey(scope, limit.by, x.identity, limitAddress(x.ip)), max, windowMs)
    } catch (err) {
      onLimitStoreError({ match: route.match, rateLimit: limit }, err, x.request.log.child({ reqId: x.request.id }))
      return
    }
    if (verdict.allowed) {
      x.responseHeaders.push(...limitHeaders(verdict))
      return
    }
    throw rateLimited(max, verdict.resetMs)
  }
}
