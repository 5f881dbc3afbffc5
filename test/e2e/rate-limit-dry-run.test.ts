import t, { type Test } from 'tap'
import { createRedisClient } from '../../src/cache/redis-client.js'
import { localLimitStore } from '../../src/rate-limit/local-limit-store.js'
import { hit, redisLimitStore, type LimitStore } from '../../src/rate-limit/rate-limit.js'
import { startRedis } from '../helpers/redis.js'
import { skewedClock } from '../helpers/clock.js'
import { until } from '../helpers/until.js'

// The decision core asks a limit without spending it (explain, a check before the upstream):
// the same answers from Redis as from the process's own counters.
async function dryRunAnswers (t: Test, store: LimitStore): Promise<void> {
  const key = `/r|ip:${Math.random()}`
  t.equal((await hit(store, key, 2, 60_000, { dryRun: true })).allowed, true, 'nothing counted yet')
  t.equal((await hit(store, key, 2, 60_000, { dryRun: true })).remaining, 2, 'dry runs spend nothing')
  await hit(store, key, 2, 60_000)
  await hit(store, key, 2, 60_000)
  const dry = await hit(store, key, 2, 60_000, { dryRun: true })
  t.equal(dry.allowed, false, 'the next request would be refused')
  t.equal(dry.remaining, 0)
  t.ok(dry.resetMs > 0 && dry.resetMs <= 60_000, 'the window\'s end is known')
  const spent = await hit(store, key, 2, 60_000)
  t.equal(spent.allowed, false, 'and it is')
}

t.test('in Redis', async t => {
  const redis = await startRedis(t)
  const client = await createRedisClient({ url: redis.url })
  t.teardown(() => { client.disconnect() })
  await until('the Redis client is connected', () => client.status === 'ready')
  await dryRunAnswers(t, redisLimitStore(client, undefined))
})

t.test('in the process', async t => {
  await dryRunAnswers(t, localLimitStore({ maxEntries: 100, maxSize: 1024 * 1024 }, skewedClock()))
})
