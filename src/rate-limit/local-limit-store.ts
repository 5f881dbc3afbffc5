import { GrowingLRU } from '../cache/growing-lru.js'
import type { LimitStore, WindowCount } from './rate-limit.js'
import { entryBytes, type LocalLimits } from '../cache/cache.js'
import type { Clock } from '../clock.js'

interface Counter { current: number, startMs: number }

/**
 * Rate-limit counters in this process, when there is no Redis: fixed windows in one LRU
 * bounded by entries and by bytes (keys are `<route>|<who>`, and a user id is as long as its
 * token made it), shared by every route (keys carry the route), so the bound does not grow
 * with the routes. The least recently counted caller is forgotten first: its count starts again.
 */
export function localLimitStore (limits: LocalLimits, clock: Clock): LimitStore {
  const counters = new GrowingLRU<string, Counter>(limits.maxEntries, {
    maxSize: limits.maxSize,
    sizeCalculation: (value, key) => entryBytes(key, value)
  })
  const running = (key: string, windowMs: number, now: number): Counter | undefined => {
    const c = counters.get(key)
    return c === undefined || c.startMs + windowMs <= now ? undefined : c
  }
  return {
    async incr (key, windowMs): Promise<WindowCount> {
      const now = clock()
      const c = running(key, windowMs, now) ?? { current: 0, startMs: now }
      c.current++
      counters.set(key, c)
      return { current: c.current, ttlMs: windowMs - (now - c.startMs) }
    },
    async read (key, windowMs): Promise<WindowCount> {
      const now = clock()
      const c = running(key, windowMs, now)
      return c === undefined ? { current: 0, ttlMs: 0 } : { current: c.current, ttlMs: windowMs - (now - c.startMs) }
    }
  }
}
