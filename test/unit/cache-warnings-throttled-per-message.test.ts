import t from 'tap'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { cacheKey } from '../../src/cache/cache.js'
import { createSealer } from '../../src/cache/integrity.js'
import { createRedisClient } from '../../src/cache/redis-client.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { createLogger } from '../../src/logger.js'
import { manualClock } from '../helpers/clock.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'

t.test('an outage warning does not hide an integrity failure logged within the throttle interval', async t => {
  const redis = await startRedis(t)
  const lines: Array<{ msg: string }> = []
  const sink = new Writable({ write (chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l)); cb() } })
  const client = await createRedisClient({ url: redis.url })
  // The clock never moves: everything below happens within one throttle interval.
  const cache = new TwoTierCache({ maxEntries: 100, maxSize: 1 << 20 }, createLogger('info', [], sink), client, undefined, undefined,
    createSealer('integrity-key-of-this-test-0123456789'), manualClock())
  t.teardown(async () => await cache.close())

  await until('the cache connected', () => client.status === 'ready', 30_000)
  // Redis goes away: a lookup warns of the outage.
  await redis.kill()
  await until('the connection lost', () => client.status !== 'ready', 30_000)
  t.equal(await cache.get('jwt', 'a-token'), undefined)
  t.ok(lines.some(l => l.msg === 'redis unavailable: falling back to the local tier'), 'the outage is logged')
  await redis.start()
  await until('the cache connected again', () => client.status === 'ready', 30_000)

  // Someone else writes an entry under a token: it fails the integrity check.
  const writer = new Redis(redis.url)
  t.teardown(() => writer.disconnect())
  await writer.set(cacheKey('jwt', 'forged-token'), JSON.stringify({ v: { id: 'superadmin' }, e: Date.now() + 60_000 }), 'PX', 60_000)
  t.equal(await cache.get('jwt', 'forged-token'), undefined, 'the forged entry is not trusted')
  t.equal(cache.counters.integrityFailures, 1)
  await until('the integrity warning', () => lines.some(l => l.msg === 'redis cache value failed its integrity check: ignored'), 30_000)
})
