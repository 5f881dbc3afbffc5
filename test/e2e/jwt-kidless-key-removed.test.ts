import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('a cached kid-less JWT stops passing once its key leaves the JWKS', async t => {
  const upstream = await startEcho(t)
  const old = await makeKey('ES256', 'unused')
  const next = await makeKey('ES256', 'k2')
  const { kid: _dropped, ...kidless } = old.jwk
  const jwks = await startJwksServer(t, [kidless])
  const clock = skewedClock()
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}", jwksCooldown: 60s`), { clock })
  const get = async (token: string): Promise<number> => (await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })).status

  const kidlessToken = await sign(old, { sub: 'alice' }, { kid: undefined })
  t.equal(await get(kidlessToken), 200, 'a kid-less token verified against the set, and cached')
  jwks.serve([next.jwk])
  clock.advance(60_100)
  t.equal(await get(await sign(next, { sub: 'bob' })), 200, 'a new kid makes the gateway refetch: the old key is gone')
  t.equal(jwks.fetches, 2)
  t.equal(await get(kidlessToken), 401, 'the cached kid-less verification no longer stands')
})
