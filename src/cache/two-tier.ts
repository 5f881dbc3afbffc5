import type { GatewayConfig } from '../config/types.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../clock.js'
import { createSealer, type Sealer } from './integrity.js'
import { LocalCache, cacheKey, type Cache, type LocalLimits } from './cache.js'
import { createRedisClient, type RedisClient } from './redis-client.js'
import { redisSpanAttributes, type Tracer } from '../telemetry/tracing.js'

const GET_SPAN = redisSpanAttributes('GET')
const SET_SPAN = redisSpanAttributes('SET')

/** Where every instance hears which keys to drop from its local tier. */
export const INVALIDATION_CHANNEL = 'gatehouse:v1:invalidate'

const WARN_INTERVAL_MS = 5000
/**
 * Most keys with a lookup in flight: past it a miss still loads, only without sharing its
 * load, so a flood of new credentials cannot grow the single-flight map without bound.
 */
export const MAX_INFLIGHT = 10_000
const FIRST_CONNECT_WAIT_MS = 2000

export type RedisState = 'up' | 'down' | 'none'

export function newCacheCounters (): CacheCounters {
  return { localHits: 0, localMisses: 0, redisHits: 0, redisMisses: 0, loads: 0, redisErrors: 0, redisFallbacks: 0, invalidations: 0, integrityFailures: 0 }
}

/** Plain counters; the metrics endpoint reads them as they are. */
export interface CacheCounters {
  localHits: number
  localMisses: number
  redisHits: number
  /** Redis asked and had nothing usable (a lookup that skipped Redis is a fallback, not a miss). */
  redisMisses: number
  /** Loader calls: what reached the origin (authorization server, JWKS…). */
  loads: number
  /** Redis commands that failed. */
  redisErrors: number
  /** Lookups and writes that skipped Redis because it was down or failing. */
  redisFallbacks: number
  /** Local entries dropped because another instance (or this one) deleted them. */
  invalidations: number
  /** Redis values ignored because their HMAC (cache.integrityKey) did not check out. */
  integrityFailures: number
}

/** The cache as the gateway holds it: the shared contract plus what /readyz and metrics read. */
export interface GatewayCache extends Cache {
  readonly redisState: RedisState
  readonly counters: CacheCounters
  /** What the in-process tier holds now: entries, and bytes as counted against `cache.local.maxSize`. */
  readonly localUsage: { entries: number, bytes: number }
  /** The command connection to `cache.redis` (maybe not ready); undefined without Redis. */
  readonly redis?: RedisClient | undefined
  /**
   * The local tier under a full Redis key, for state Redis itself holds (user API tokens):
   * such entries are dropped by the same invalidations as cached ones.
   */
  localGet<T> (key: string): T | undefined
  localSet (key: string, value: unknown, ttlMs: number): void
  /**
   * Told each key deleted here or (through pub/sub) on any instance or by the CLI: a revoked
   * credential's key, for whatever it opened to end too (open WebSockets). Returns the unsubscribe.
   */
  onInvalidate (listener: (key: string) => void): () => void
}

/** What travels through Redis: the value and when it stops being valid (ms since epoch). */
interface Stored { v: unknown, e: number }

/**
 * The local LRU in front of Redis. Redis is only ever a cache: while it is down every
 * operation falls back to the local tier and the loader, and no call waits on a reconnect
 * (the client fails fast, and a client that is not ready is not even asked).
 */
export class TwoTierCache implements GatewayCache {
  private readonly local: LocalCache
  private readonly inflight = new Map<string, Promise<unknown>>()
  // Per message: an outage's repeated warning must not hide a different one (an integrity failure).
  private readonly warned = new Map<string, { at: number, suppressed: number }>()
  private subscriberWasDown = false
  private readonly invalidated = new Set<(key: string) => void>()
  /** Invalidations heard so far: a replace that raced one does not keep its value locally. */
  private dropped = 0

  /** `counters` may outlive this cache: a reloaded config's cache keeps counting into the same ones. */
  constructor (
    limits: LocalLimits,
    private readonly logger: Logger,
    readonly redis: RedisClient | undefined,
    private readonly subscriber: RedisClient | undefined,
    readonly counters: CacheCounters = newCacheCounters(),
    private readonly sealer: Sealer = createSealer(undefined),
    private readonly clock: Clock,
    private readonly tracer?: Tracer
  ) {
    this.local = new LocalCache(limits, clock)
    redis?.on('error', (err: Error) => this.warn('redis connection error', err))
    redis?.on('ready', () => this.logger.info('redis cache connected'))
    if (subscriber !== undefined) {
      subscriber.on('error', (err: Error) => this.warn('redis subscriber connection error', err))
      subscriber.on('message', (_channel: string, key: string) => {
        this.counters.invalidations++
        this.dropped++
        this.local.deleteByKey(key)
        this.tell(key)
      })
      subscriber.on('close', () => {
        this.subscriberWasDown = true
      })
      subscriber.on('ready', () => {
        // Deletions published while this instance was not listening are lost: forget
        // everything local rather than serve something another instance purged.
        if (this.subscriberWasDown) {
          this.local.clear()
          this.subscriberWasDown = false
        }
        subscriber.subscribe(INVALIDATION_CHANNEL).catch((err: unknown) => this.warn('redis subscribe failed', err))
      })
    }
  }

  onInvalidate (listener: (key: string) => void): () => void {
    this.invalidated.add(listener)
    return () => {
      this.invalidated.delete(listener)
    }
  }

  private tell (key: string): void {
    for (const listener of this.invalidated) listener(key)
  }

  get localUsage (): { entries: number, bytes: number } {
    return { entries: this.local.entries, bytes: this.local.bytes }
  }

  /** Up only with both connections: without the subscriber, purges from other instances are missed. */
  get redisState (): RedisState {
    if (this.redis === undefined) return 'none'
    return this.redis.status === 'ready' && this.subscriber?.status === 'ready' ? 'up' : 'down'
  }

  /** Resolves once both connections are ready, or after `ms` either way: startup never fails on Redis. */
  async connected (ms: number): Promise<void> {
    const clients = [this.redis, this.subscriber].filter((c): c is RedisClient => c !== undefined && c.status !== 'ready')
    if (clients.length === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(clients.map(async c => await new Promise<void>(resolve => c.once('ready', () => resolve())))),
      new Promise<void>(resolve => {
        timer = setTimeout(resolve, ms)
      })
    ])
    clearTimeout(timer)
    if (this.redisState !== 'up') this.logger.warn('redis cache not reachable at startup: serving from the local tier until it is')
  }

  private warn (msg: string, err: unknown): void {
    const now = this.clock()
    const last = this.warned.get(msg)
    if (last !== undefined && now - last.at < WARN_INTERVAL_MS) {
      last.suppressed++
      return
    }
    this.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) }, suppressed: last?.suppressed ?? 0 }, msg)
    this.warned.set(msg, { at: now, suppressed: 0 })
  }

  private usable (): RedisClient | undefined {
    if (this.redis === undefined) return undefined
    if (this.redis.status !== 'ready') {
      this.counters.redisFallbacks++
      this.warn('redis unavailable: falling back to the local tier', new Error(`connection ${this.redis.status}`))
      return undefined
    }
    return this.redis
  }

  private failed (op: string, err: unknown): void {
    this.counters.redisErrors++
    this.counters.redisFallbacks++
    this.warn(`redis ${op} failed: falling back to the local tier`, err)
  }

  /** The shared tier's entry; `held`: Redis is its only home, so not reaching it rejects instead of answering a miss. */
  private async redisGet (key: string, held = false): Promise<unknown> {
    const redis = this.usable()
    if (redis === undefined) {
      if (held && this.redis !== undefined) throw new Error(`redis unavailable: connection ${this.redis.status}`)
      return undefined
    }
    let text: string | null
    try {
      const { tracer } = this
      text = tracer === undefined ? await redis.get(key) : await tracer.inSpan('redis GET', 'client', GET_SPAN, async () => await redis.get(key))
    } catch (err) {
      this.failed('get', err)
      if (held) throw err
      return undefined
    }
    let stored: Stored | undefined
    const opened = text === null ? undefined : this.sealer.open(key, text)
    if (text !== null && opened === undefined) {
      // Written by something that does not hold the integrity key: never trusted.
      this.counters.integrityFailures++
      this.warn('redis cache value failed its integrity check: ignored', new Error(`key ${key}`))
    }
    try {
      stored = opened === undefined ? undefined : (JSON.parse(opened) as Stored)
    } catch {} // an entry that does not parse is a miss, like an absent one
    const ttlMs = typeof stored?.e === 'number' ? stored.e - this.clock() : 0
    if (stored === undefined || ttlMs <= 0) {
      this.counters.redisMisses++
      return undefined
    }
    this.counters.redisHits++
    this.local.setByKey(key, stored.v, ttlMs)
    return stored.v
  }

  private async redisSet (key: string, value: unknown, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return
    const redis = this.usable()
    if (redis === undefined) return
    const stored: Stored = { v: value, e: this.clock() + ttlMs }
    try {
      const text = this.sealer.seal(key, JSON.stringify(stored))
      const { tracer } = this
      if (tracer === undefined) await redis.set(key, text, 'PX', Math.ceil(ttlMs))
      else await tracer.inSpan('redis SET', 'client', SET_SPAN, async () => await redis.set(key, text, 'PX', Math.ceil(ttlMs)))
    } catch (err) {
      this.failed('set', err)
    }
  }

  async get<T>(kind: string, credential: string): Promise<T | undefined> {
    return await this.read<T>(kind, credential, false)
  }

  async getHeld<T>(kind: string, credential: string): Promise<T | undefined> {
    return await this.read<T>(kind, credential, true)
  }

  private async read<T>(kind: string, credential: string, held: boolean): Promise<T | undefined> {
    const key = cacheKey(kind, credential)
    const hit = this.local.getByKey<T>(key)
    if (hit !== undefined) {
      this.counters.localHits++
      return hit
    }
    this.counters.localMisses++
    return (await this.redisGet(key, held)) as T | undefined
  }

  peek<T> (kind: string, credential: string): T | undefined {
    const hit = this.local.getByKey<T>(cacheKey(kind, credential))
    if (hit !== undefined) this.counters.localHits++
    return hit
  }

  async set (kind: string, credential: string, value: unknown, ttlMs: number): Promise<void> {
    const key = cacheKey(kind, credential)
    this.local.setByKey(key, value, ttlMs)
    await this.redisSet(key, value, ttlMs)
  }

  async replace (kind: string, credential: string, value: unknown, ttlMs: number): Promise<boolean> {
    const key = cacheKey(kind, credential)
    if (ttlMs <= 0) return false
    const redis = this.redis === undefined ? undefined : this.usable()
    if (redis === undefined) return this.replaceLocal(key, value, ttlMs)
    const heard = this.dropped
    let written: 'OK' | null
    try {
      // SET … XX: written only if the key is still there, so a deletion in between wins.
      written = await redis.set(
        key,
        this.sealer.seal(key, JSON.stringify({ v: value, e: this.clock() + ttlMs } satisfies Stored)),
        'PX',
        Math.ceil(ttlMs),
        'XX'
      )
    } catch (err) {
      this.failed('set', err)
      return this.replaceLocal(key, value, ttlMs)
    }
    // The reply and an invalidation that followed it come on two connections, in either order:
    // after any invalidation the next read goes to Redis rather than trust this copy.
    if (written === 'OK' && heard === this.dropped) this.local.setByKey(key, value, ttlMs)
    else this.local.deleteByKey(key)
    return written === 'OK'
  }

  /** Without Redis (or while it fails) the local tier is where the entry lives, or was deleted. */
  private replaceLocal (key: string, value: unknown, ttlMs: number): boolean {
    if (this.local.getByKey(key) === undefined) return false
    this.local.setByKey(key, value, ttlMs)
    return true
  }

  localGet<T>(key: string): T | undefined {
    const hit = this.local.getByKey<T>(key)
    if (hit === undefined) this.counters.localMisses++
    else this.counters.localHits++
    return hit
  }

  localSet (key: string, value: unknown, ttlMs: number): void {
    this.local.setByKey(key, value, ttlMs)
  }

  evict (kind: string, credential: string): void {
    this.local.deleteByKey(cacheKey(kind, credential))
  }

  /**
   * Drops the entry here, in Redis, and (through pub/sub) in every instance's local tier.
   * Rejects when Redis is configured but the deletion could not be spread: a purge must
   * not look done when other instances still hold the entry.
   */
  async delete (kind: string, credential: string): Promise<void> {
    const key = cacheKey(kind, credential)
    this.local.deleteByKey(key)
    // This instance's listeners hear it at once, even when Redis cannot spread it (they hear the echo too).
    this.tell(key)
    if (this.redis === undefined) return
    if (this.redis.status !== 'ready') {
      this.counters.redisFallbacks++
      throw new Error('redis is down: the entry was dropped from this instance only')
    }
    try {
      await this.redis.del(key)
      await this.redis.publish(INVALIDATION_CHANNEL, key)
    } catch (err) {
      this.failed('delete', err)
      throw new Error('redis delete failed: the entry was dropped from this instance only', { cause: err })
    }
  }

  /** Local tier, then Redis, then the loader: one lookup chain per key and process at a time. */
  async getOrLoad<T>(kind: string, credential: string, load: () => Promise<{ value: T, ttlMs: number }>): Promise<T> {
    const key = cacheKey(kind, credential)
    const hit = this.local.getByKey<T>(key)
    if (hit !== undefined) {
      this.counters.localHits++
      return hit
    }
    this.counters.localMisses++
    const pending = this.inflight.get(key)
    if (pending !== undefined) return await (pending as Promise<T>)
    if (this.inflight.size >= MAX_INFLIGHT) return await this.lookup(key, load)
    const p = this.lookup(key, load).finally(() => this.inflight.delete(key))
    this.inflight.set(key, p)
    return await p
  }

  private async lookup<T>(key: string, load: () => Promise<{ value: T, ttlMs: number }>): Promise<T> {
    const shared = await this.redisGet(key)
    if (shared !== undefined) return shared as T
    this.counters.loads++
    const { value, ttlMs } = await load()
    this.local.setByKey(key, value, ttlMs)
    await this.redisSet(key, value, ttlMs)
    return value
  }

  async close (): Promise<void> {
    await this.local.close()
    for (const client of [this.subscriber, this.redis]) {
      if (client === undefined) continue
      // A closing connection may still report errors; they are no longer worth a warning.
      client.removeAllListeners('error')
      client.on('error', () => {})
      await client.quit().catch(() => client.disconnect())
    }
  }
}

/** The gateway's cache: the local tier alone, or the local tier in front of `cache.redis`. */
export async function createCache (config: GatewayConfig, logger: Logger, counters: CacheCounters | undefined, clock: Clock,
  tracer?: Tracer): Promise<GatewayCache> {
  const redisConfig = config.cache.redis
  const limits = { maxEntries: config.cache.localMaxEntries, maxSize: config.cache.localMaxSize }
  if (redisConfig === undefined) return new TwoTierCache(limits, logger, undefined, undefined, counters, undefined, clock)
  const redis = await createRedisClient(redisConfig)
  // A subscribed connection can run nothing else, hence a second one. It subscribes again on
  // every 'ready' (above); ioredis's own resubscribe would be a second SUBSCRIBE whose
  // rejection (a command timeout on a slow Redis) nothing handles, and that ends the process.
  const subscriber = await createRedisClient(redisConfig, { autoResubscribe: false })
  const sealer = createSealer(config.cache.integrityKey)
  if (!sealer.keyed) logger.warn('cache.integrityKey is not set: whoever can write to Redis can forge cached identities; set it (the same on every instance)')
  const cache = new TwoTierCache(limits, logger, redis, subscriber, counters, sealer, clock, tracer)
  await cache.connected(FIRST_CONNECT_WAIT_MS)
  return cache
}
