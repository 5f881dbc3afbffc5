import t from 'tap'
import { startEcho } from '../helpers/upstream.js'
import { startGatewayPair } from '../helpers/gateway-pair.js'
import { call } from '../helpers/http.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

t.test('introspection: two gateway instances sharing one Redis make one call between them', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const { a, b } = await startGatewayPair(t, url => introspectionYaml(as, upstream, { redis: url }))
  const token = await as.mint({ sub: 'alice' })
  const headers = { authorization: `Bearer ${token}` }

  t.equal((await call(`${a.url}/api/orders/1`, { headers })).status, 200, 'instance A: 200')
  t.equal(as.calls, 1, 'A introspected')
  for (let i = 0; i < 5; i++) {
    t.equal((await call(`${b.url}/api/orders/1`, { headers })).status, 200, 'instance B: 200')
    t.equal((await call(`${a.url}/api/orders/1`, { headers })).status, 200, 'instance A again: 200')
  }
  t.equal(as.calls, 1, 'B found the result in Redis: still one call')
  t.equal(b.gateway.cache.counters.redisHits, 1, 'B read Redis once, then its local tier')
  t.equal(b.gateway.cache.counters.loads, 0)

  const ready = await call(`${b.adminUrl as string}/readyz`)
  t.equal(ready.json<{ checks: { redis: string } }>().checks.redis, 'up', '/readyz reports redis up')
})
