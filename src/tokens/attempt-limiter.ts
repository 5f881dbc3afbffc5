import type { Cache } from '../cache/cache.js'
import type { Clock } from '../clock.js'

const KIND = 'auth-failures'

interface Window { count: number, resetAt: number }

/** A counter and its limit: at `max` failures in the window, further attempts wait. */
export interface Limit { key: string, max: number }

export type Reservation =
  | { ok: true, /** The attempt succeeded: it is not a failure after all. */ release: () => Promise<void> }
  | { ok: false, retryAfter: number }

/**
 * Counts failed authentications per key in fixed windows, in the cache so that instances
 * sharing Redis share the counts. An attempt is *reserved* (counted as a failure) before the
 * expensive check runs and released if it succeeds, so concurrent attempts cannot all pass
 * a check made before any of them failed. Within one process each key's read-modify-write is
 * serialised; across instances it is not atomic, so a burst spread over several instances
 * may get a few attempts more than `max`, never unbounded.
 */
export class AttemptLimiter {
  private readonly queues = new Map<string, Promise<void>>()

  constructor (private readonly cache: Cache, private readonly windowMs: number, private readonly clock: Clock) {}

  /** Runs `fn` after every earlier call for `key` in this process has finished. */
  private async serial<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve()
    let done!: () => void
    const gate = new Promise<void>(resolve => { done = resolve })
    const mine = previous.then(async () => await gate)
    this.queues.set(key, mine)
    await previous
    try {
      return await fn()
    } finally {
      done()
      if (this.queues.get(key) === mine) this.queues.delete(key)
    }
  }

  /** Adds `delta` to the key's window; refuses (undefined) when `delta` is +1 and the window is full. */
  private async add (limit: Limit, delta: 1 | -1): Promise<number | undefined> {
    return await this.serial(limit.key, async () => {
      const now = this.clock()
      const current = await this.cache.get<Window>(KIND, limit.key)
      const live = current !== undefined && current.resetAt > now ? current : undefined
      if (delta === -1) {
        if (live === undefined || live.count <= 0) return undefined
        await this.cache.set(KIND, limit.key, { count: live.count - 1, resetAt: live.resetAt }, live.resetAt - now)
        return undefined
      }
      if (live !== undefined && live.count >= limit.max) return live.resetAt
      const next = live === undefined ? { count: 1, resetAt: now + this.windowMs } : { count: live.count + 1, resetAt: live.resetAt }
      await this.cache.set(KIND, limit.key, next, next.resetAt - now)
      return undefined
    })
  }

  /**
   * Counts one attempt against every limit, before it is checked. Refused when any limit is
   * already full (nothing is then counted); otherwise `release()` takes the attempt back
   * when it succeeds.
   */
  async reserve (limits: Limit[]): Promise<Reservation> {
    const taken: Limit[] = []
    for (const limit of limits) {
      const blockedUntil = await this.add(limit, 1)
      if (blockedUntil !== undefined) {
        for (const t of taken) await this.add(t, -1)
        return { ok: false, retryAfter: Math.max(1, Math.ceil((blockedUntil - this.clock()) / 1000)) }
      }
      taken.push(limit)
    }
    let released = false
    return {
      ok: true,
      release: async () => {
        if (released) return
        released = true
        for (const t of taken) await this.add(t, -1)
      }
    }
  }
}
