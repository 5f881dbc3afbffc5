import t from 'tap'
import { hit, limitAddress, limitHeaders } from '../../src/rate-limit/rate-limit.js'
import { localLimitStore } from '../../src/rate-limit/local-limit-store.js'
import { manualClock } from '../helpers/clock.js'

const LIMITS = { maxEntries: 100, maxSize: 1024 * 1024 }

t.test('max requests pass in a window, the next is refused until the window ends', async t => {
  const clock = manualClock()
  const store = localLimitStore(LIMITS, clock)
  t.same(await hit(store, 'k', 2, 1000), { allowed: true, limit: 2, remaining: 1, resetMs: 1000 })
  clock.advance(400)
  t.same(await hit(store, 'k', 2, 1000), { allowed: true, limit: 2, remaining: 0, resetMs: 600 })
  t.same(await hit(store, 'k', 2, 1000), { allowed: false, limit: 2, remaining: 0, resetMs: 600 })
  clock.advance(600)
  t.equal((await hit(store, 'k', 2, 1000)).allowed, true, 'a new window')
})

t.test('a dry run answers what the next request would get and spends nothing', async t => {
  const clock = manualClock()
  const store = localLimitStore(LIMITS, clock)
  t.same(await hit(store, 'k', 1, 1000, { dryRun: true }), { allowed: true, limit: 1, remaining: 1, resetMs: 0 })
  t.equal((await hit(store, 'k', 1, 1000)).allowed, true)
  clock.advance(250)
  t.same(await hit(store, 'k', 1, 1000, { dryRun: true }), { allowed: false, limit: 1, remaining: 0, resetMs: 750 })
  t.same(await store.read('k', 1000), { current: 1, ttlMs: 750 }, 'still one hit')
})

t.test('a store failure is thrown, for the route\'s onRedisError to read', async t => {
  const down = { incr: async () => { throw new Error('down') }, read: async () => { throw new Error('down') } }
  await t.rejects(hit(down, 'k', 1, 1000), /down/)
  await t.rejects(hit(down, 'k', 1, 1000, { dryRun: true }), /down/)
})

t.test('the RateLimit headers of a passed request, the reset in whole seconds rounded up', async t => {
  t.same(limitHeaders({ allowed: true, limit: 5, remaining: 3, resetMs: 1200 }), ['ratelimit-limit', '5', 'ratelimit-remaining', '3', 'ratelimit-reset', '2'])
})

t.test('callers are counted by IPv4 address, IPv4-mapped as IPv4, IPv6 by /64 (as @fastify/rate-limit did)', async t => {
  // Expected values are @fastify/rate-limit 11's normalizeIP, which keyed the counters before.
  const cases: Array<[string, string]> = [
    ['10.0.0.1', '10.0.0.1'],
    ['::1', '::'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:DB8::1', '2001:db8::'],
    ['2001:db8:0:0:1::5', '2001:db8::'],
    ['2001:0db8:0001:0002:0003:0004:0005:0006', '2001:db8:1:2::'],
    ['fe80::1%eth0', 'fe80::'],
    ['0:0:0:1::', '0:0:0:1::'],
    ['1:0:0:0:1:2:3:4', '1::'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4::'],
    ['::', '::']
  ]
  for (const [ip, key] of cases) t.equal(limitAddress(ip), key, ip)
})
