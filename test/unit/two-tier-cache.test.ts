import t from 'tap'
import { Writable } from 'node:stream'
import { LocalCache, cacheKey, entryBytes, estimateBytes } from '../../src/cache/cache.js'
import { MAX_INFLIGHT, TwoTierCache } from '../../src/cache/two-tier.js'
import { createLogger } from '../../src/logger.js'
import { manualClock } from '../helpers/clock.js'

const LIMITS = { maxEntries: 1000, maxSize: 1024 * 1024 }
const quiet = createLogger('info', [], new Writable({ write (_c, _e, cb) { cb() } }))

t.test('keys are the kind and the hash of the credential: never the credential itself', async t => {
  const key = cacheKey('jwt', 'secret-token')
  t.match(key, /^gatehouse:v1:jwt:[0-9a-f]{64}$/)
  t.notMatch(key, /secret-token/)
  t.not(cacheKey('jwt', 'a'), cacheKey('introspection', 'a'))
})

t.test('a local entry lives for its TTL on the clock, then is gone', async t => {
  const clock = manualClock()
  const cache = new TwoTierCache(LIMITS, quiet, undefined, undefined, undefined, undefined, clock)
  await cache.set('jwt', 'token', { id: 'alice' }, 1000)
  t.same(await cache.get('jwt', 'token'), { id: 'alice' })
  clock.advance(999)
  t.same(await cache.get('jwt', 'token'), { id: 'alice' }, 'still there 1 ms before its end')
  clock.advance(2)
  t.equal(await cache.get('jwt', 'token'), undefined, 'gone after it')
  t.equal(cache.redisState, 'none')
  t.same(cache.counters.localHits, 2)
  t.same(cache.counters.localMisses, 1)
  await cache.close()
})

t.test('getOrLoad: one loader call for concurrent misses, cached for the loader\'s TTL, then loaded again', async t => {
  const clock = manualClock()
  const cache = new TwoTierCache(LIMITS, quiet, undefined, undefined, undefined, undefined, clock)
  let loads = 0
  const load = async (): Promise<{ value: string, ttlMs: number }> => {
    loads++
    await new Promise(resolve => setImmediate(resolve))
    return { value: `v${loads}`, ttlMs: 5000 }
  }
  const all = await Promise.all(Array.from({ length: 10 }, async () => await cache.getOrLoad('k', 'c', load)))
  t.same(all, Array(10).fill('v1'))
  t.equal(loads, 1, 'single-flight')
  clock.advance(4999)
  t.equal(await cache.getOrLoad('k', 'c', load), 'v1')
  clock.advance(2)
  t.equal(await cache.getOrLoad('k', 'c', load), 'v2', 'loaded again once the TTL ran out')
  t.equal(cache.counters.loads, 2)
  await cache.close()
})

t.test('a loader failure is not cached, and the next lookup loads again', async t => {
  const cache = new TwoTierCache(LIMITS, quiet, undefined, undefined, undefined, undefined, manualClock())
  await t.rejects(cache.getOrLoad('k', 'c', async () => { throw new Error('origin down') }), /origin down/)
  t.equal(await cache.getOrLoad('k', 'c', async () => ({ value: 'ok', ttlMs: 1000 })), 'ok')
  await cache.close()
})

t.test('a zero TTL, a null value and evict/delete leave nothing behind', async t => {
  const cache = new TwoTierCache(LIMITS, quiet, undefined, undefined, undefined, undefined, manualClock())
  await cache.set('k', 'zero', 'v', 0)
  t.equal(await cache.get('k', 'zero'), undefined)
  await cache.set('k', 'null', null, 1000)
  t.equal(await cache.get('k', 'null'), undefined)
  await cache.set('k', 'a', 'v', 1000)
  cache.evict('k', 'a')
  t.equal(await cache.get('k', 'a'), undefined)
  await cache.set('k', 'b', 'v', 1000)
  await cache.delete('k', 'b')
  t.equal(await cache.get('k', 'b'), undefined, 'without Redis a delete is local and never rejects')
  await cache.close()
})

t.test('past MAX_INFLIGHT distinct keys in flight, a miss still loads, only unshared', async t => {
  const cache = new TwoTierCache({ maxEntries: 2 * MAX_INFLIGHT, maxSize: 64 * 1024 * 1024 }, quiet, undefined, undefined, undefined, undefined, manualClock())
  let release!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  const pending = Array.from(
    { length: MAX_INFLIGHT },
    async (_, i) =>
      await cache.getOrLoad('k', `c${i}`, async () => {
        await gate
        return { value: i, ttlMs: 1000 }
      })
  )
  let extra = 0
  const over = await cache.getOrLoad('k', 'one-more', async () => { extra++; return { value: 'x', ttlMs: 1000 } })
  t.equal(over, 'x')
  t.equal(extra, 1)
  release()
  await Promise.all(pending)
  await cache.close()
})

t.test('the local tier is bounded by bytes: an entry over a sixteenth of maxSize is not kept', async t => {
  const local = new LocalCache({ maxEntries: 100, maxSize: 64 * 1024 }, manualClock())
  local.setByKey('big', 'x'.repeat(8 * 1024), 1000)
  t.equal(local.getByKey('big'), undefined)
  local.setByKey('small', 'x', 1000)
  t.equal(local.getByKey('small'), 'x')
  t.equal(local.entries, 1)
  t.equal(local.bytes, entryBytes('small', 'x'))
  local.clear()
  t.equal(local.entries, 0)
})

t.test('byte estimates follow V8\'s layout closely enough to bound memory', async t => {
  t.equal(estimateBytes('abcdefgh'), 24, 'a one-byte string: 16 + 8')
  t.equal(estimateBytes('é'), 24, 'a two-byte string rounds up too')
  t.equal(estimateBytes(7), 0, 'a small integer is a tagged pointer')
  t.equal(estimateBytes(1.5), 16, 'a double is boxed')
  t.equal(estimateBytes(null), 0)
  t.equal(estimateBytes(true), 0)
  t.equal(estimateBytes([]), 48)
  t.equal(estimateBytes({ a: 'abcdefgh' }), 24 + 8 + 24)
  let deep: unknown = 'leaf'
  for (let i = 0; i < 40; i++) deep = { d: deep }
  t.ok(estimateBytes(deep) > 0, 'a value deeper than 32 levels is counted from its JSON')
})

t.test('replace writes only an entry that is still there: one deleted or expired meanwhile stays gone', async t => {
  const clock = manualClock()
  const cache = new TwoTierCache(LIMITS, quiet, undefined, undefined, undefined, undefined, clock)
  t.equal(await cache.replace('oidc-session', 'never', 'v', 1000), false, 'never written: nothing to replace')
  t.equal(await cache.get('oidc-session', 'never'), undefined)
  await cache.set('oidc-session', 'sid', 'v1', 1000)
  t.equal(await cache.replace('oidc-session', 'sid', 'v2', 1000), true)
  t.equal(await cache.get('oidc-session', 'sid'), 'v2')
  await cache.delete('oidc-session', 'sid')
  t.equal(await cache.replace('oidc-session', 'sid', 'v3', 1000), false, 'deleted: not brought back')
  t.equal(await cache.get('oidc-session', 'sid'), undefined)
  await cache.set('oidc-session', 'old', 'v1', 1000)
  clock.advance(1001)
  t.equal(await cache.replace('oidc-session', 'old', 'v2', 1000), false, 'expired: not brought back')
  t.equal(await cache.get('oidc-session', 'old'), undefined)
  await cache.close()
})
