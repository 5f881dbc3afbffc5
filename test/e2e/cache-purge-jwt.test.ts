import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { scrape } from '../helpers/metrics.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('POST /cache/purge forgets a verified JWT too: the next request verifies it again', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}"`, `cache: { redis: "${redis.url}" }`))
  const token = await sign(key, { sub: 'alice' })
  const loads = async (): Promise<number> => (await scrape(gw.adminUrl as string)).value('gatehouse_cache_loads_total') ?? 0
  const get = async (): Promise<number> => (await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })).status

  t.equal(await get(), 200)
  t.equal(await get(), 200)
  t.equal(await loads(), 1, 'verified once, then from the cache')
  const purge = await call(`${gw.adminUrl as string}/cache/purge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token })
  })
  t.same(purge.json(), { purged: true })
  t.equal(await get(), 200)
  t.equal(await loads(), 2, 'after the purge the token was verified again: its entry was really gone')
})
