import t from 'tap'
import { Redis } from 'ioredis'
import { cacheKey } from '../../src/cache/cache.js'
import { introspectionCacheCredential, introspectionPartition } from '../../src/auth/introspection.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

t.test('introspection: a cached result never outlives the token exp, even with a longer cacheTtl', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const clock = skewedClock()
  const gw = await startTestGateway(t, introspectionYaml(as, upstream, { redis: redis.url, auth: ', cacheTtl: 1h' }), { clock })
  const client = new Redis(redis.url)
  t.teardown(() => client.quit())
  const token = await as.mint({ expiresIn: 60 })
  const headers = { authorization: `Bearer ${token}` }

  t.equal((await call(`${gw.url}/api/orders/1`, { headers })).status, 200, 'valid before exp')
  const oauth = gw.gateway.config.authenticators.get('oauth') as AuthenticatorConfig<'introspection'>
  const pttl = await client.pttl(cacheKey('introspection', introspectionCacheCredential(introspectionPartition(oauth.spec), token)))
  t.ok(pttl > 0 && pttl <= 60_000, `the Redis entry lives until exp, not cacheTtl (pttl ${pttl}ms)`)
  t.equal((await call(`${gw.url}/api/orders/1`, { headers })).status, 200, 'served from cache')
  t.equal(as.calls, 1)

  clock.advance(60_100)
  const after = await call(`${gw.url}/api/orders/1`, { headers })
  t.equal(after.status, 401, 'refused after exp')
  t.equal(as.calls, 2, 'the cached entry had expired with the token: the server was asked again')
})
