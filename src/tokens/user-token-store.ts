import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { Sealer } from '../cache/integrity.js'
import type { RedisClient } from '../cache/redis-client.js'
import { INVALIDATION_CHANNEL, type CacheCounters, type RedisState } from '../cache/two-tier.js'

/** What the gateway knows of one user API token: never the token itself, which is found by its sha256. */
export interface UserTokenRecord {
  id: string
  user: string
  scopes: string[]
  /** The gatehouse client the token belongs to; null: any. */
  client: string | null
  /** ms since epoch. */
  created: number
  /** ms since epoch; null: never. */
  expires: number | null
}

export interface ListedUserToken extends UserTokenRecord {
  /** ms since epoch, written at most once a minute per token and instance; null: not used yet. */
  lastUsed: number | null
}

/** Redis could not answer: the token can be neither accepted nor refused (503, fail closed). */
export class TokenStoreUnavailable extends Error {}

const PREFIX = 'gatehouse:v1:user-api-token:'
/** id → token hash, to list and revoke by id. */
export const USER_TOKEN_IDS = 'gatehouse:v1:user-api-token-ids'
/** id → last-used time (ms). */
export const USER_TOKEN_USED = 'gatehouse:v1:user-api-token-used'
/** How long a token read from Redis is kept in the local tier: a missed invalidation costs at most this. */
export const LOCAL_TTL_MS = 60_000
const BATCH = 500

/** The Redis key of a token's record: `hash` is the sha256 (hex) of the token, never the token. */
export function userTokenKey (hash: string): string {
  return `${PREFIX}${hash}`
}

/** A token's id: the start of its hash, so the same token imported twice is one token, and a holder can tell its id. */
export function userTokenId (hash: string): string {
  return hash.slice(0, 16)
}

/** How a token is found: its sha256 (hex), as API keys are. */
export function hashUserToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** 32 random bytes: as unguessable as an API key, so a fast hash is enough to store it. */
export function newUserToken (input: Omit<UserTokenRecord, 'id' | 'created'>, now: number): { token: string, hash: string, record: UserTokenRecord } {
  const token = `ghu_${randomBytes(32).toString('base64url')}`
  const hash = hashUserToken(token)
  return { token, hash, record: { ...input, id: userTokenId(hash), created: now } }
}

/** The gateway's local tier (src/cache/two-tier.ts): pub/sub invalidations drop its entries on every instance. */
export interface LocalTier {
  readonly redisState: RedisState
  readonly counters: CacheCounters
  localGet<T> (key: string): T | undefined
  localSet (key: string, value: unknown, ttlMs: number): void
}

/**
 * User API tokens in Redis, which is their store, not a cache: a record per token hash, an
 * index by id, and last-used times. A revocation deletes the record and publishes its key
 * on the cache's invalidation channel, so every instance drops its local copy at once.
 */
export class UserTokenStore {
  constructor (private readonly redis: RedisClient, private readonly sealer: Sealer, private readonly local: LocalTier | undefined, readonly clock: Clock) {}

  private ready (): RedisClient {
    if (this.redis.status !== 'ready') throw new TokenStoreUnavailable(`the token store (redis) is ${this.redis.status}`)
    return this.redis
  }

  private open (key: string, text: string | null): UserTokenRecord | undefined {
    if (text === null) return undefined
    const opened = this.sealer.open(key, text)
    if (opened === undefined) return undefined
    try {
      return JSON.parse(opened) as UserTokenRecord
    } catch {
      return undefined
    }
  }

  /** The record for a token hash: the local tier first, then Redis. Throws TokenStoreUnavailable when Redis cannot answer. */
  async find (hash: string): Promise<UserTokenRecord | undefined> {
    const key = userTokenKey(hash)
    const hit = this.local?.localGet<UserTokenRecord>(key)
    if (hit !== undefined) return hit
    const invalidationsBefore = this.local?.counters.invalidations
    let text: string | null
    try {
      text = await this.ready().get(key)
    } catch (err) {
      if (err instanceof TokenStoreUnavailable) throw err
      throw new TokenStoreUnavailable('the token store (redis) failed', { cause: err })
    }
    const record = this.open(key, text)
    // Written without the integrity key, or with another one: refused, and counted as the cache's failures are.
    if (text !== null && record === undefined && this.local !== undefined) this.local.counters.integrityFailures++
    // Kept locally only while this instance hears invalidations, and none arrived during the read (a revocation racing it).
    if (record !== undefined && this.local !== undefined && this.local.redisState === 'up' && this.local.counters.invalidations === invalidationsBefore) {
      this.local.localSet(key, record, record.expires === null ? LOCAL_TTL_MS : Math.min(LOCAL_TTL_MS, record.expires - this.clock()))
    }
    return record
  }

  /**
   * Stores a token by its hash; false when that token is already stored (nothing changes).
   * A stored record that fails the integrity check (written before cache.integrityKey was set
   * or changed) is no token: it is replaced.
   */
  async add (hash: string, record: UserTokenRecord): Promise<boolean> {
    const redis = this.ready()
    const key = userTokenKey(hash)
    const value = this.sealer.seal(key, JSON.stringify(record))
    const write = async (mode: 'NX' | 'XX'): Promise<'OK' | null> => record.expires === null
      ? await redis.set(key, value, mode as 'NX')
      : await redis.set(key, value, 'PXAT', record.expires, mode as 'NX')
    if (await write('NX') === null) {
      const existing = await redis.get(key)
      if (existing === null || this.open(key, existing) !== undefined || await write('XX') === null) return false
    }
    await redis.hset(USER_TOKEN_IDS, record.id, hash)
    return true
  }

  /** Every live token (of `user`), oldest first. Index entries whose token expired are cleaned up on the way. */
  async list (user?: string): Promise<ListedUserToken[]> {
    const redis = this.ready()
    const ids = await redis.hgetall(USER_TOKEN_IDS)
    const used = await redis.hgetall(USER_TOKEN_USED)
    const out: ListedUserToken[] = []
    const gone: string[] = []
    const entries = Object.entries(ids)
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH)
      const texts = await Promise.all(batch.map(async ([, hash]) => await redis.get(userTokenKey(hash))))
      batch.forEach(([id, hash], j) => {
        const record = this.open(userTokenKey(hash), texts[j] ?? null)
        if (record === undefined) {
          if (texts[j] === null) gone.push(id)
          return
        }
        if (user !== undefined && record.user !== user) return
        const lastUsed = used[id]
        out.push({ ...record, lastUsed: lastUsed === undefined ? null : Number(lastUsed) })
      })
    }
    if (gone.length > 0) await redis.hdel(USER_TOKEN_IDS, ...gone)
    // A use recorded while its token was being revoked leaves a time behind: dropped here.
    const stale = Object.keys(used).filter(id => ids[id] === undefined || gone.includes(id))
    if (stale.length > 0) await redis.hdel(USER_TOKEN_USED, ...stale)
    return out.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id))
  }

  /** Deletes the token and tells every instance to drop it; false when no token has that id. */
  async revoke (id: string): Promise<boolean> {
    const redis = this.ready()
    const hash = await redis.hget(USER_TOKEN_IDS, id)
    if (hash === null) return false
    const key = userTokenKey(hash)
    await redis.del(key)
    await redis.hdel(USER_TOKEN_IDS, id)
    await redis.hdel(USER_TOKEN_USED, id)
    await redis.publish(INVALIDATION_CHANNEL, key)
    return true
  }

  /** Revokes every token of `user`; how many. */
  async revokeUser (user: string): Promise<number> {
    let n = 0
    for (const t of await this.list(user)) if (await this.revoke(t.id)) n++
    return n
  }

  /** Records a use; the caller decides how often (at most once a minute per token). */
  async touch (id: string, at: number): Promise<void> {
    await this.ready().hset(USER_TOKEN_USED, id, String(at))
  }
}
