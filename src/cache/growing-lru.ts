import { LRUCache } from 'lru-cache'

/**
 * An LRUCache bounded by `maxEntries` whose storage grows with what it holds. lru-cache's own
 * `max` allocates its index arrays for all `max` entries when the cache is made (about 28 bytes
 * an entry: 2.8 MB for 100,000, held from start by a gateway that may never cache anything);
 * without `max` they grow as entries come. The entry bound is kept here instead: past it, the
 * least recently used entry goes, as lru-cache's `max` would have evicted it.
 */
export class GrowingLRU<K extends {}, V extends {}> extends LRUCache<K, V> {
  constructor (private readonly maxEntries: number, options: LRUCache.OptionsBase<K, V, unknown>) {
    // lru-cache asks for one bound it knows: without a byte bound, each entry counts 1 towards maxEntries.
    super((options.maxSize === undefined ? { ...options, maxSize: maxEntries, sizeCalculation: () => 1 } : options) as LRUCache.Options<K, V, unknown>)
  }

  override set (...args: Parameters<LRUCache<K, V>['set']>): this {
    super.set(...args)
    if (this.size > this.maxEntries) this.pop()
    return this
  }
}
