import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startCountingEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { SECRETS, fetchToken, jwksFile, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('a client token past its exp is refused with 401 invalid_token', async t => {
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const clock = skewedClock()
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream, ttl: '60s' }), { files: { 'keys.json': jwksFile(await signingKey()) }, clock })
  const token = await fetchToken(gw.url, 'android', SECRETS.android)
  const url = `${gw.url}/api/orders/1`

  t.equal((await call(url, { headers: { 'x-client-token': token } })).status, 200, 'accepted while fresh (and its verification cached)')
  clock.advance(61_100)
  const reached = echo.requests
  const res = await call(url, { headers: { 'x-client-token': token } })
  t.equal(res.status, 401)
  t.equal(res.json().code, 'invalid_token')
  t.equal(echo.requests, reached, 'the expired token did not reach the upstream')
  t.equal(res.json().detail, 'token has expired')
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(res.headers['www-authenticate'], /^ClientToken realm="gatehouse", header="X-Client-Token", error="invalid_token"/)
})
