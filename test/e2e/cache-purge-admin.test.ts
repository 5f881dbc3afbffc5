import t from 'tap'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

t.test('cache: POST /cache/purge on one admin listener drops a token from every instance', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const yaml = introspectionYaml(as, upstream, { redis: redis.url })
  const a = await startTestGateway(t, yaml)
  const b = await startTestGateway(t, yaml)
  const token = await as.mint()
  const headers = { authorization: `Bearer ${token}` }
  const status = async (gw: TestGateway): Promise<number> => (await call(`${gw.url}/api/orders/1`, { headers })).status

  t.equal(await status(a), 200)
  t.equal(await status(b), 200)
  await as.revoke(token)
  t.equal(await status(a), 200, 'revoked at the server, still honoured from A\'s cache (the revocation window)')
  t.equal(await status(b), 200, 'and from B\'s')

  const bad = await call(`${a.adminUrl as string}/cache/purge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(bad.status, 400, 'a purge without a token is refused')

  const purge = await call(`${a.adminUrl as string}/cache/purge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })
  t.equal(purge.status, 200)
  t.same(purge.json(), { purged: true })
  // Pub/sub delivery to B is asynchronous; it takes well under a second.
  await new Promise(resolve => setTimeout(resolve, 200))
  t.equal(await status(b), 401, 'B dropped its local entry: the token is refused')
  t.equal(await status(a), 401, 'A too')
  t.ok(b.gateway.cache.counters.invalidations >= 1, 'B heard the invalidation')
  t.notMatch(a.logText(), token, 'the purged token never reaches a log')
})
