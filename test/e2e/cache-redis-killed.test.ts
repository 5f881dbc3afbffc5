import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'
import { until } from '../helpers/until.js'

t.test('cache: Redis killed mid-run, requests keep succeeding from the local tier and the origin', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, introspectionYaml(as, upstream, { redis: redis.url }))
  const known = await as.mint({ sub: 'alice' })
  t.equal((await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${known}` } })).status, 200)
  t.same((await call(`${gw.adminUrl as string}/readyz`)).json(), {
    status: 'ok',
    checks: { config: gw.gateway.config.hash.slice(0, 12), redis: 'up', rateLimitStore: 'none', upstreams: 'ok' }
  })

  await redis.kill()
  const redisCheck = async (): Promise<string> => (await call(`${gw.adminUrl as string}/readyz`)).json<{ checks: { redis: string } }>().checks.redis
  await until('the gateway to see Redis down', async () => await redisCheck() === 'down')
  // Not a time bound (a busy machine is slow either way): a request that waited on a reconnect or
  // a command timeout would have sent Redis a command, and a command that fails is counted.
  const before = { ...gw.gateway.cache.counters }
  const fresh = await as.mint({ sub: 'bob' })
  for (let i = 0; i < 3; i++) {
    for (const token of [known, fresh]) {
      const res = await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })
      t.equal(res.status, 200, 'served while Redis is down')
    }
  }
  t.equal(as.calls, 2, 'the known token from the local tier; the new one introspected once, then local')
  const after = gw.gateway.cache.counters
  t.equal(after.redisErrors, before.redisErrors, 'no request sent Redis a command: none waits on a reconnect')
  t.ok(after.redisFallbacks > before.redisFallbacks, 'the new token fell back to the local tier at once')

  const ready = await call(`${gw.adminUrl as string}/readyz`)
  t.equal(ready.status, 200, '/readyz still 200')
  t.same(ready.json(), { status: 'degraded', checks: { config: gw.gateway.config.hash.slice(0, 12), redis: 'down', rateLimitStore: 'none', upstreams: 'ok' } })
  t.ok(gw.logs.some(l => l.level === 40 && String(l.msg).startsWith('redis')), 'a warning was logged')
})
