import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('a stale cached JWT with Redis down is 401, never a 500: the request path only evicts locally', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const old = await makeKey('ES256', 'k1')
  const next = await makeKey('ES256', 'k2')
  const jwks = await startJwksServer(t, [old.jwk])
  const clock = skewedClock()
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}", jwksCooldown: 60s`, `cache: { redis: "${redis.url}" }`), {
    clock
  })
  const get = async (token: string): Promise<{ status: number, code: unknown }> => {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, code: res.status === 200 ? undefined : res.json().code }
  }

  const token = await sign(old, { sub: 'alice' })
  t.equal((await get(token)).status, 200, 'verified and cached (locally and in Redis)')
  await redis.kill()
  jwks.serve([next.jwk])
  clock.advance(60_100)
  t.equal((await get(await sign(next, { sub: 'bob' }))).status, 200, 'the key rotates; the gateway still verifies with Redis down')
  t.same(await get(token), { status: 401, code: 'invalid_token' }, 'the stale entry is refused, not a 500')
  t.same(await get(token), { status: 401, code: 'invalid_token' }, 'and again')
})
