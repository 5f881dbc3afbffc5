import { hash } from 'node:crypto'
import { GrowingLRU } from './growing-lru.js'
import { lruClock, type Clock } from '../clock.js'

/**
 * What the gateway learned about a credential, keyed by `gatehouse:v1:<kind>:<sha256>`:
 * no raw credential is ever a key. Values are JSON-serialisable.
 */
export interface Cache {
  get<T> (kind: string, credential: string): Promise<T | undefined>
  /**
   * This process's entry, synchronously, or undefined (then `get` asks the shared tier): the
   * request path answers a repeated credential without a promise. Counts only hits.
   */
  peek<T> (kind: string, credential: string): T | undefined
  /**
   * `get` for state kept nowhere else (browser sessions): when Redis is configured but cannot
   * answer, it rejects instead of answering "not there", so what only Redis holds is never
   * taken as gone because Redis was away for a moment.
   */
  getHeld<T> (kind: string, credential: string): Promise<T | undefined>
  set (kind: string, credential: string, value: unknown, ttlMs: number): Promise<void>
  /**
   * Replaces the entry only while it still exists (here without Redis, in Redis with it, in one
   * command): false when it is gone, deleted or expired, and then nothing is written. A write
   * that finishes after a deletion must not bring the entry back.
   */
  replace (kind: string, credential: string, value: unknown, ttlMs: number): Promise<boolean>
  /** Removes the entry from every instance: Redis, and each local tier (through Redis pub/sub when configured). */
  delete (kind: string, credential: string): Promise<void>
  /** Forgets the entry in this process only: never fails, needs no Redis (what the request path may do). */
  evict (kind: string, credential: string): void
  /**
   * The cached value, or the loader's: concurrent misses for one key share one call
   * (single-flight), and the result is stored for the `ttlMs` the loader gives.
   */
  getOrLoad<T> (kind: string, credential: string, load: () => Promise<{ value: T, ttlMs: number }>): Promise<T>
  close (): Promise<void>
}

export function cacheKey (kind: string, credential: string): string {
  // The one-shot hash: a key is made on every request that carries a credential.
  return `gatehouse:v1:${kind}:${hash('sha256', credential, 'hex')}`
}

/**
 * What an entry costs the local tier besides its key and value, in bytes (64-bit V8): its
 * slot in the LRU's key map (~32) and in its seven per-index arrays (key, value, next, prev,
 * ttl, start, size: ~48), with room for allocator rounding.
 */
export const ENTRY_OVERHEAD_BYTES = 96
const NOT_ONE_BYTE = /[^\x00-\xff]/
/** Deeper than any real claim: below it a value is counted from its JSON text. */
const MAX_DEPTH = 32

function stringBytes (s: string): number {
  const chars = NOT_ONE_BYTE.test(s) ? s.length * 2 : s.length
  // Header (map, hash, length) + characters, rounded to the 8-byte allocation unit.
  return 16 + Math.ceil(chars / 8) * 8
}

/**
 * An estimate of the heap bytes a JSON-shaped value holds, as V8 lays it out (64-bit, no
 * pointer compression): objects 24 + 8 per property, arrays 32 + a 16-byte backing store
 * + 8 per element, strings 16 + their characters, numbers that are not small integers 16.
 * Honest rather than exact: within a few tens of percent of what a heap snapshot shows.
 */
export function estimateBytes (value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'string': return stringBytes(value)
    case 'number': return Number.isInteger(value) && Math.abs(value) < 2 ** 30 ? 0 : 16
    case 'object': {
      if (value === null) return 0
      if (depth >= MAX_DEPTH) return 2 * (JSON.stringify(value)?.length ?? 0)
      let bytes = 0
      if (Array.isArray(value)) {
        bytes = 48 + 8 * value.length
        for (const v of value) bytes += estimateBytes(v, depth + 1)
        return bytes
      }
      bytes = 24
      for (const k in value) {
        // Property names are interned in the object's shape, shared by every object of that shape.
        bytes += 8 + estimateBytes((value as Record<string, unknown>)[k], depth + 1)
      }
      return bytes
    }
    default: return 0
  }
}

/** What one local entry is counted as against `maxSize`: its key, its value and the LRU's own bookkeeping. */
export function entryBytes (key: string, value: unknown): number {
  return ENTRY_OVERHEAD_BYTES + stringBytes(key) + estimateBytes(value)
}

export interface LocalLimits {
  maxEntries: number
  /** Bytes, as {@link entryBytes} counts them. */
  maxSize: number
}

/**
 * The in-process tier: bounded by entries and by bytes (each entry counted by
 * {@link entryBytes}), each entry with its own TTL; the least recently used go first. An
 * entry bigger than a sixteenth of `maxSize` is not kept here (it would push out many
 * others). The two-tier cache (src/cache/two-tier.ts) puts it in front of Redis and owns
 * single-flight and invalidation.
 */
export class LocalCache {
  private readonly lru: GrowingLRU<string, NonNullable<unknown>>

  constructor (limits: LocalLimits, clock: Clock) {
    this.lru = new GrowingLRU(limits.maxEntries, {
      ...lruClock(clock),
      maxSize: limits.maxSize,
      maxEntrySize: Math.max(1, Math.floor(limits.maxSize / 16)),
      sizeCalculation: (value, key) => entryBytes(key, value),
      ttlAutopurge: false
    })
  }

  /** Entries held (expired ones included until they are looked up or pushed out). */
  get entries (): number {
    return this.lru.size
  }

  /** Bytes held, as counted against `maxSize`. */
  get bytes (): number {
    return this.lru.calculatedSize
  }

  getByKey<T> (key: string): T | undefined {
    return this.lru.get(key) as T | undefined
  }

  setByKey (key: string, value: unknown, ttlMs: number): void {
    if (ttlMs <= 0 || value === undefined || value === null) this.lru.delete(key)
    else this.lru.set(key, value, { ttl: ttlMs })
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
