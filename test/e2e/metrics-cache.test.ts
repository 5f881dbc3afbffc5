import t from 'tap'
import { startEcho } from '../helpers/upstream.js'
import { startGatewayPair } from '../helpers/gateway-pair.js'
import { call } from '../helpers/http.js'
import { until } from '../helpers/until.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'
import { scrape } from '../helpers/metrics.js'

t.test('metrics: cache hits and misses per tier, introspection calls and Redis state, with a real introspection route', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const { redis, a, b } = await startGatewayPair(t, url => introspectionYaml(as, upstream, { redis: url }))
  const headers = { authorization: `Bearer ${await as.mint({ sub: 'alice' })}` }
  const url = (gw: { url: string }): string => `${gw.url}/api/orders/1`

  t.equal((await call(url(a), { headers })).status, 200, 'A: a miss in both tiers, then introspection')
  t.equal((await call(url(a), { headers })).status, 200, 'A: a local hit')
  t.equal((await call(url(b), { headers })).status, 200, 'B: a local miss, a Redis hit')

  const ma = await scrape(a.adminUrl as string)
  t.equal(ma.value('gatehouse_cache_lookups_total', { tier: 'local', result: 'miss' }), 1, 'A missed locally once')
  t.equal(ma.value('gatehouse_cache_lookups_total', { tier: 'redis', result: 'miss' }), 1, 'and in Redis')
  t.equal(ma.value('gatehouse_cache_lookups_total', { tier: 'local', result: 'hit' }), 1, 'then hit locally')
  t.equal(ma.value('gatehouse_cache_loads_total'), 1, 'one load from the origin')
  t.equal(
    ma.value('gatehouse_auth_origin_duration_seconds_count', { call: 'introspection', authenticator: 'oauth', outcome: 'ok' }),
    1,
    'one introspection call, timed'
  )
  t.equal(ma.value('gatehouse_redis_up', { connection: 'cache' }), 1, 'Redis is up')

  const mb = await scrape(b.adminUrl as string)
  t.equal(mb.value('gatehouse_cache_lookups_total', { tier: 'redis', result: 'hit' }), 1, 'B found it in Redis')
  t.equal(mb.value('gatehouse_cache_loads_total'), 0, 'B never called the origin')

  as.behaviour = { kind: 'answer', status: 500, body: 'oops' }
  const other = { authorization: `Bearer ${await as.mint({ sub: 'bob' })}` }
  t.equal((await call(url(a), { headers: other })).status, 503, 'the authorization server fails: 503')
  await redis.kill()
  await until('A to see Redis down', () => a.gateway.cache.redisState === 'down')
  const down = await scrape(a.adminUrl as string)
  t.equal(
    down.value('gatehouse_auth_origin_duration_seconds_count', { call: 'introspection', authenticator: 'oauth', outcome: 'error' }),
    1,
    'the failed call is counted as an error'
  )
  t.equal(down.value('gatehouse_redis_up', { connection: 'cache' }), 0, 'Redis down: 0')
})
