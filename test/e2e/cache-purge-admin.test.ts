import t from 'tap'
import type { TestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startGatewayPair } from '../helpers/gateway-pair.js'
import { call } from '../helpers/http.js'
import { until } from '../helpers/until.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

t.test('cache: POST /cache/purge on one admin listener drops a token from every instance', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const { a, b } = await startGatewayPair(t, url => introspectionYaml(as, upstream, { redis: url }))
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

  const purge = await call(`${a.adminUrl as string}/cache/purge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token })
  })
  t.equal(purge.status, 200)
  t.same(purge.json(), { purged: true })
  // Pub/sub delivery to B is asynchronous, one deletion per cache entry the token may have:
  // B refuses the token once it has heard the one it answered from.
  let fromB = 200
  await until('B to refuse the purged token', async () => (fromB = await status(b)) !== 200)
  t.equal(fromB, 401, 'B dropped its local entry: the token is refused')
  t.equal(await status(a), 401, 'A too')
  t.ok(b.gateway.cache.counters.invalidations >= 1, 'B heard the invalidation')
  t.notMatch(a.logText(), token, 'the purged token never reaches a log')
})
