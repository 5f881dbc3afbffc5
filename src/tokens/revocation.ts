import { GrowingLRU } from '../cache/growing-lru.js'
import type { GatewayCache } from '../cache/two-tier.js'
import type { Logger } from '../logger.js'
import { lruClock, type Clock } from '../clock.js'

/** Cache kinds: the denylist of revoked `jti`s, and verified client tokens (by `jti`). */
export const REVOKED = 'revoked'
export const VERIFIED_CLIENT_TOKEN = 'client-token'
/** How many revoked `jti`s one process keeps in memory (each until its token's `exp`). */
export const MAX_LOCAL_REVOCATIONS = 100_000
/** How often an instance looks at its Redis connection (a status read: no command is sent). */
export const WRITE_BACK_CHECK_MS = 250
/** Every live revocation known here is also written back this often, in case a short outage went unseen. */
export const WRITE_BACK_EVERY_MS = 5 * 60 * 1000
/** At most one write-back per this interval, however flaky Redis is. */
const MIN_WRITE_BACK_GAP_MS = 2000

/**
 * The revoked `jti`s this process knows of, each kept until its token would have expired:
 * a revocation holds here whatever happens to Redis (restart, flush, failover). Bounded;
 * outlives config reloads (src/gateway.ts keeps one per process).
 */
export class RevokedJtis {
  private readonly jtis: GrowingLRU<string, number>
  overflowed = 0

  constructor (max = MAX_LOCAL_REVOCATIONS, private readonly clock: Clock) {
    this.jtis = new GrowingLRU<string, number>(max, {
      ...lruClock(clock),
      ttlAutopurge: false,
      dispose: (_exp, _jti, reason) => { if (reason === 'evict') this.overflowed++ }
    })
  }

  /** `expMs`: when the token expires (ms since epoch); an expired one needs no entry. */
  add (jti: string, expMs: number): void {
    const ttl = expMs - this.clock()
    if (ttl > 0) this.jtis.set(jti, expMs, { ttl })
  }

  has (jti: string): boolean {
    return this.jtis.has(jti)
  }

  get size (): number {
    return this.jtis.size
  }

  /** Every live entry: `jti` and expiry (ms since epoch). */
  * entries (): Generator<[string, number]> {
    for (const [jti, exp] of this.jtis.entries()) if (exp > this.clock()) yield [jti, exp]
  }
}

/**
 * Client-token revocation for one config generation: the denylist in the shared cache (so
 * every instance refuses at once) backed by this process's RevokedJtis (so a revocation
 * survives Redis losing its data). Whenever Redis comes back after being down or failing
 * (a restart may have emptied it), after a revocation Redis did not take, after a reload,
 * and every WRITE_BACK_EVERY_MS, every `jti` still known here is written back to Redis and
 * its cached verification purged on every instance.
 */
export class Revocations {
  private readonly timer: NodeJS.Timeout | undefined
  private pending: boolean
  private running: Promise<void> | undefined
  private closed = false
  private lastWriteBack = 0
  private seenFailures: number

  constructor (
    private readonly cache: GatewayCache,
    readonly known: RevokedJtis,
    private readonly logger: Logger,
    checkMs = WRITE_BACK_CHECK_MS,
    private readonly clock: Clock
  ) {
    // A reload (or a new cache.redis) starts with what the process already knows.
    this.pending = known.size > 0
    this.seenFailures = this.failures()
    if (cache.redisState !== 'none') {
      this.timer = setInterval(() => {
        void this.tick()
      }, checkMs)
      this.timer.unref()
    }
  }

  /**
   * Denylists the token's `jti` until it would have expired anyway, and drops any cached
   * verification of it. Known here at once; rejects when the deletion could not reach the
   * other instances through Redis (it is then written back once Redis is reachable).
   */
  async revoke (claims: { jti: string, exp: number }): Promise<void> {
    const ttlMs = claims.exp * 1000 - this.clock()
    if (ttlMs <= 0) return
    this.known.add(claims.jti, claims.exp * 1000)
    const failuresBefore = this.failures()
    try {
      await this.cache.set(REVOKED, claims.jti, 1, ttlMs)
      await this.cache.delete(VERIFIED_CLIENT_TOKEN, claims.jti)
    } finally {
      if (this.cache.redisState !== 'none' && (this.cache.redisState !== 'up' || this.failures() !== failuresBefore)) this.pending = true
    }
  }

  /** Known here (no I/O): for a cached verification, which must never outlive a revocation. */
  knownRevoked (jti: string): boolean {
    return this.known.has(jti)
  }

  async isRevoked (claims: { jti: string, exp: number }): Promise<boolean> {
    if (this.known.has(claims.jti)) return true
    if ((await this.cache.get<number>(REVOKED, claims.jti)) === undefined) return false
    // Learned from another instance through Redis: kept here too, in case Redis loses it.
    this.known.add(claims.jti, claims.exp * 1000)
    return true
  }

  private failures (): number {
    return this.cache.counters.redisErrors + this.cache.counters.redisFallbacks
  }

  private async tick (): Promise<void> {
    if (this.running !== undefined || this.closed) return
    this.running = this.check()
      .catch((err: unknown) => {
        this.pending = true
        this.logger.warn({ err: { message: (err as Error).message } }, 'client token revocations could not be written back to redis; retrying')
      })
      .finally(() => {
        this.running = undefined
      })
    await this.running
  }

  private async check (): Promise<void> {
    const failures = this.failures()
    if (failures !== this.seenFailures || this.cache.redisState !== 'up') {
      // Down, reconnecting or failing: when it is back it may have lost everything.
      this.seenFailures = failures
      this.pending = true
      return
    }
    const now = this.clock()
    if (this.known.size > 0 && now - this.lastWriteBack >= WRITE_BACK_EVERY_MS) this.pending = true
    if (!this.pending || now - this.lastWriteBack < MIN_WRITE_BACK_GAP_MS) return
    this.lastWriteBack = now
    const failuresBefore = this.failures()
    let count = 0
    for (const [jti, expMs] of this.known.entries()) {
      if (this.closed) return
      await this.cache.set(REVOKED, jti, 1, expMs - this.clock())
      await this.cache.delete(VERIFIED_CLIENT_TOKEN, jti)
      count++
    }
    if (this.cache.redisState === 'up' && this.failures() === failuresBefore) {
      this.pending = false
      if (count > 0) this.logger.info({ revocations: count }, 'client token revocations written back to redis')
    }
    if (this.known.overflowed > 0) {
      this.logger.warn(
        { dropped: this.known.overflowed, max: MAX_LOCAL_REVOCATIONS },
        'more live client token revocations than this instance keeps in memory: the oldest rely on Redis alone'
      )
      this.known.overflowed = 0
    }
  }

  close (): void {
    this.closed = true
    if (this.timer !== undefined) clearInterval(this.timer)
  }
}
