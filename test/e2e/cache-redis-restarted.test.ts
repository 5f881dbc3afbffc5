import t from 'tap'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

async function redisState (gw: TestGateway): Promise<string> {
  return (await call(`${gw.adminUrl as string}/readyz`)).json<{ checks: { redis: string } }>().checks.redis
}

async function until (what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

t.test('cache: after Redis restarts, the instances share the cache again', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const yaml = introspectionYaml(as, upstream, { redis: redis.url })
  const a = await startTestGateway(t, yaml)
  const b = await startTestGateway(t, yaml)

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
  const purge = await call(`${a.adminUrl as string}/cache/purge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: after }) })
  t.equal(purge.status, 200)
  await new Promise(resolve => setTimeout(resolve, 200))
  t.equal((await call(`${b.url}/api/orders/1`, { headers })).status, 401, 'B resubscribed: a purge on A reaches it again')
})
