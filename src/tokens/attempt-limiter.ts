import type { Cache } from '../cache/cache.js'

const KIND = 'auth-failures'

interface Window { count: number, resetAt: number }

/**
 * Counts failed client authentications per key (client id, IP) in fixed windows, in the
 * cache so that instances sharing Redis share the counts. Check-then-write is not atomic
 * across instances: a burst may get a few attempts more than `max`, never unbounded.
 */
export class AttemptLimiter {
  constructor (private readonly cache: Cache, private readonly max: number, private readonly windowMs: number) {}

  /** Seconds until every key may try again, or undefined when none is over its limit. */
  async retryAfter (keys: string[]): Promise<number | undefined> {
    const now = Date.now()
    let until = 0
    for (const key of keys) {
      const w = await this.cache.get<Window>(KIND, key)
      if (w !== undefined && w.resetAt > now && w.count >= this.max) until = Math.max(until, w.resetAt)
    }
    return until === 0 ? undefined : Math.max(1, Math.ceil((until - now) / 1000))
  }

  async fail (keys: string[]): Promise<void> {
    const now = Date.now()
    for (const key of keys) {
      const w = await this.cache.get<Window>(KIND, key)
      const next = w === undefined || w.resetAt <= now ? { count: 1, resetAt: now + this.windowMs } : { count: w.count + 1, resetAt: w.resetAt }
      await this.cache.set(KIND, key, next, next.resetAt - now)
    }
  }
}
