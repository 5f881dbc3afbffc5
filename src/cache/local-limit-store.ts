import { LRUCache } from 'lru-cache'
import type { LimitStore } from '../policy/rate-limit.js'
import { entryBytes, type LocalLimits } from './cache.js'
import type { Clock } from '../clock.js'

interface Counter { current: number, ttl: number, iterationStartMs: number }

/**
 * Rate-limit counters in this process, when there is no Redis: fixed windows, as
 * @fastify/rate-limit's own local store counts them, but in one LRU bounded by entries and
 * by bytes (keys are `<route>|<who>`, and a user id is as long as its token made it), shared
 * by every route (keys carry the route), so the bound does not grow with the routes.
 * The least recently counted caller is forgotten first: its count starts again.
 */
export function localLimitStore (limits: LocalLimits, clock: Clock): new () => LimitStore & { read: LimitStore['incr'] } {
  const counters = new LRUCache<string, Counter>({
    max: limits.maxEntries,
    maxSize: limits.maxSize,
    sizeCalculation: (value, key) => entryBytes(key, value)
  })
  return class LocalLimitStore {
    incr (key: string, cb: (err: Error | null, result?: { current: number, ttl: number }) => void, windowMs: number): void {
      const now = clock()
      let c = counters.get(key)
      if (c === undefined || c.iterationStartMs + windowMs <= now) {
        c = { current: 1, ttl: windowMs, iterationStartMs: now }
      } else {
        c.current++
        c.ttl = windowMs - (now - c.iterationStartMs)
      }
      counters.set(key, c)
      cb(null, { current: c.current, ttl: c.ttl })
    }

    /** The count without counting (`{ increment: false }`). */
    read (key: string, cb: (err: Error | null, result?: { current: number, ttl: number }) => void, windowMs: number): void {
      const c = counters.get(key)
      const now = clock()
      if (c === undefined || c.iterationStartMs + windowMs <= now) cb(null, { current: 0, ttl: 0 })
      else cb(null, { current: c.current, ttl: windowMs - (now - c.iterationStartMs) })
    }

    child (): LimitStore {
      return this
    }
  }
}
