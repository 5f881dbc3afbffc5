import t from 'tap'
import type { TestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startGatewayPair } from '../helpers/gateway-pair.js'
import { call } from '../helpers/http.js'
import { until } from '../helpers/until.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

async function redisState (gw: TestGateway): Promise<string> {
  return (await call(`${gw.adminUrl as string}/readyz`)).json<{ checks: { redis: string } }>().checks.redis
}

t.test('cache: after Redis restarts, the instances share the cache again', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const { redis, a, b } = await startGatewayPair(t, url => introspectionYaml(as, upstream, { redis: url }))

  await redis.kill()
  await until('both instances to see Redis down', async () => await redisState(a) === 'down' && await redisState(b) === 'down')
  const during = await as.mint({ sub: 'alice' })
  t.equal((await call(`${a.url}/api/orders/1`, { headers: { authorization: `Bearer ${during}` } })).status, 200, 'served while down')

  await redis.start()
  await until('both instances to reconnect', async () => await redisState(a) === 'up' && await redisState(b) === 'up')
  t.equal((await call(`${a.adminUrl as string}/readyz`)).json().status, 'ok', '/readyz ok again')

  const beforeRecheck = as.calls
  t.equal((await call(`${a.url}/api/orders/1`, { headers: { authorization: `Bearer ${during}` } })).status, 200)
  t.equal(as.calls, beforeRecheck + 1, 'purges may have been missed while down: the local tier was emptied on reconnect')

  const after = await as.mint({ sub: 'bob' })
  const headers = { authorization: `Bearer ${after}` }
  const calls = as.calls
  t.equal((await call(`${a.url}/api/orders/1`, { headers })).status, 200)
  t.equal((await call(`${b.url}/api/orders/1`, { headers })).status, 200)
  t.equal(as.calls, calls + 1, 'B found what A learned in Redis: one call between them')
  t.ok(b.gateway.cache.counters.redisHits >= 1, 'B read it from Redis')

  await as.revoke(after)
  const heard = b.gateway.cache.counters.invalidations
  const purge = await call(`${a.adminUrl as string}/cache/purge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: after })
  })
  t.equal(purge.status, 200)
  // A purge publishes one deletion per cache entry the token may have (each kind, each
  // partition): B refuses the token once it has heard the one it answered from.
  let status = 200
  await until('B to refuse the purged token', async () => {
    status = (await call(`${b.url}/api/orders/1`, { headers })).status
    return status !== 200
  })
  t.equal(status, 401, 'B resubscribed: a purge on A reaches it again')
  t.ok(b.gateway.cache.counters.invalidations > heard, 'B heard it over pub/sub')
})
