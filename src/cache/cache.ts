import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'

/**
 * What the gateway learned about a credential, keyed by `gatehouse:v1:<kind>:<sha256>`:
 * no raw credential is ever a key. Values are JSON-serialisable.
 */
export interface Cache {
  get<T> (kind: string, credential: string): Promise<T | undefined>
  set (kind: string, credential: string, value: unknown, ttlMs: number): Promise<void>
  /** Removes the entry from every instance: Redis, and each local tier (through Redis pub/sub when configured). */
  delete (kind: string, credential: string): Promise<void>
  /**
   * The cached value, or the loader's: concurrent misses for one key share one call
   * (single-flight), and the result is stored for the `ttlMs` the loader gives.
   */
  getOrLoad<T> (kind: string, credential: string, load: () => Promise<{ value: T, ttlMs: number }>): Promise<T>
  close (): Promise<void>
}

export function cacheKey (kind: string, credential: string): string {
  return `gatehouse:v1:${kind}:${createHash('sha256').update(credential).digest('hex')}`
}

/**
 * The in-process tier: bounded by entries, each entry with its own TTL. The two-tier cache
 * (src/cache/two-tier.ts) puts it in front of Redis and owns single-flight and invalidation.
 */
export class LocalCache {
  private readonly lru: LRUCache<string, { v: unknown }>

  constructor (maxEntries: number) {
    this.lru = new LRUCache({ max: maxEntries, ttlAutopurge: false })
  }

  getByKey<T> (key: string): T | undefined {
    return this.lru.get(key)?.v as T | undefined
  }

  setByKey (key: string, value: unknown, ttlMs: number): void {
    if (ttlMs <= 0) this.lru.delete(key)
    else this.lru.set(key, { v: value }, { ttl: ttlMs })
  }

  deleteByKey (key: string): void {
    this.lru.delete(key)
  }

  clear (): void {
    this.lru.clear()
  }

  async close (): Promise<void> {
    this.lru.clear()
  }
}
