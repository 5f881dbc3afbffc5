import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('JWKS rotation: a new kid is picked up, a dropped one stops working, and requests never fetch on their own', async t => {
  const upstream = await startEcho(t)
  const oldKey = await makeKey('RS256', 'key-2025')
  const newKey = await makeKey('ES256', 'key-2026')
  const jwks = await startJwksServer(t, [oldKey.jwk])
  const clock = skewedClock()
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}", jwksCooldown: 60s`), { clock })
  const get = async (token: string): Promise<{ status: number, detail: unknown }> => {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, detail: res.status === 200 ? undefined : res.json().detail }
  }

  const before = await sign(oldKey, { jti: 'a' })
  t.equal((await get(before)).status, 200, 'a token of the published key passes')
  for (let i = 0; i < 5; i++) t.equal((await get(await sign(oldKey, { jti: `n${i}` }))).status, 200)
  t.equal(jwks.fetches, 1, 'six tokens, one fetch: keys are not fetched per request')

  jwks.serve([newKey.jwk])
  clock.advance(60_100)
  t.equal((await get(await sign(newKey, { jti: 'b' }))).status, 200, 'after the cooldown, a new kid makes one refetch and passes')
  t.equal(jwks.fetches, 2)
  t.equal((await get(await sign(newKey, { jti: 'c' }))).status, 200)
  t.equal(jwks.fetches, 2, 'the new key is kept')

  const unknown = await get(await sign({ ...newKey, kid: 'key-2027' }))
  t.equal(unknown.status, 401, 'within the cooldown after that fetch, another unknown kid is refused without a fetch')
  t.equal(unknown.detail, 'unknown signing key')
  const dropped = await get(before)
  t.equal(dropped.status, 401, 'a token verified (and cached) under the dropped kid no longer passes')
  t.equal(dropped.detail, 'unknown signing key')
  t.equal(jwks.fetches, 2)

  clock.advance(60_100)
  const fresh = await get(await sign(oldKey, { jti: 'd' }))
  t.equal(fresh.status, 401, 'a new token signed with the dropped key is refused, even after a refetch')
  t.equal(fresh.detail, 'unknown signing key')
  t.equal(jwks.fetches, 3, 'that unknown kid cost one refetch')
  for (let i = 0; i < 5; i++) await get(await sign(oldKey, { jti: `e${i}` }))
  t.equal(jwks.fetches, 3, 'a burst of unknown kids within the cooldown makes no further fetch')
})
