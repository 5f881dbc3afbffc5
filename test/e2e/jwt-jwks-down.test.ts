import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('JWKS unreachable from the start: 503 auth_unavailable with Retry-After, never 200', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('RS256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  await jwks.stop()
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}", jwksCooldown: 1s`))
  const token = await sign(key)
  for (let i = 0; i < 3; i++) {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 503, `attempt ${i + 1}: 503`)
    t.equal(res.json().code, 'auth_unavailable')
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(res.headers['retry-after'], /^[1-9][0-9]*$/, 'Retry-After in seconds')
    t.notMatch(res.text, token, 'the body never carries the token')
  }
  t.ok(gw.logs.some(l => l.msg === 'JWKS fetch failed' && l.authenticator === 'idp'), 'the failed fetch is logged')
})

t.test('JWKS goes down after the keys were fetched: known keys keep working, an unknown kid is 503 until it is back', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('RS256', 'k1')
  const next = await makeKey('RS256', 'k2')
  const jwks = await startJwksServer(t, [key.jwk])
  const clock = skewedClock()
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}", jwksCooldown: 60s`), { clock })
  const get = async (token: string): Promise<number> => (await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })).status
  t.equal(await get(await sign(key)), 200, 'keys fetched')

  jwks.failing = true
  jwks.serve([key.jwk, next.jwk])
  clock.advance(60_100)
  t.equal(await get(await sign(key, { jti: 'fresh' })), 200, 'a new token under a cached key needs no fetch: 200')
  const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${await sign(next)}` } })
  t.equal(res.status, 503, 'an unknown kid while the IdP fails: 503, not 401 and not 200')
  t.equal(res.json().code, 'auth_unavailable')
  t.ok(res.headers['retry-after'])
  t.equal(await get(await sign(next, { jti: 'again' })), 503, 'still failing within the retry delay: 503 without a new fetch')

  jwks.failing = false
  // After a failed fetch a retry waits 5 s at most, whatever the cooldown.
  clock.advance(5_100)
  t.equal(await get(await sign(next, { jti: 'back' })), 200, 'IdP back: the new kid passes')
})
