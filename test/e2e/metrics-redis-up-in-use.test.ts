import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { scrape } from '../helpers/metrics.js'
import { until } from '../helpers/until.js'

const config = (upstream: string, redis: string, rateLimit: boolean): string => `${TEST_SERVER}${redis === '' ? '' : `cache:\n  redis: ${redis}\n`}upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /*
    upstream: web
    policy: public
${rateLimit ? '    rateLimit: { max: 10, window: 1m }\n' : ''}`

// The docs' alert fires on any gatehouse_redis_up at 0: a connection the config does not use must not be exported at 0.
t.test('gatehouse_redis_up has a series only for the Redis connections in use', async t => {
  const redis = await startRedis(t)
  const upstream = await startEcho(t)
  const up = async (rateLimit: boolean, url: string): Promise<Record<string, number | undefined>> => {
    const gw = await startTestGateway(t, config(upstream, url, rateLimit))
    if (url !== '') {
      await until('Redis to be up', () => gw.gateway.cache.redisState === 'up' && (!rateLimit || gw.gateway.health().checks.rateLimitStore === 'ok'))
    }
    const m = await scrape(gw.adminUrl as string)
    await gw.close()
    return { cache: m.value('gatehouse_redis_up', { connection: 'cache' }), rateLimit: m.value('gatehouse_redis_up', { connection: 'rate_limit' }) }
  }
  t.same(await up(false, redis.url), { cache: 1, rateLimit: undefined }, 'Redis without a rate-limited route: the cache connection only')
  t.same(await up(true, redis.url), { cache: 1, rateLimit: 1 }, 'with a rate-limited route: the limiter\'s connection too')
  t.same(await up(true, ''), { cache: undefined, rateLimit: undefined }, 'a rate limit counted in the process has no Redis connection')
})
