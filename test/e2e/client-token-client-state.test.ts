import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { SECRETS, fetchToken, jwksFile, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('a token is checked against the client as configured now, not as it was at issue', async t => {
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const keys = jwksFile(await signingKey())
  const before = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': keys } })
  const token = await fetchToken(before.url, 'android', SECRETS.android)
  t.equal((await call(`${before.url}/api/orders/1`, { headers: { 'x-client-token': token } })).status, 200, 'accepted when issued')

  const disabled = await startTestGateway(t, await tokenGatewayYaml({ upstream, android: 'disabled: true' }), { files: { 'keys.json': keys } })
  const reached = echo.requests
  const refused = await call(`${disabled.url}/api/orders/1`, { headers: { 'x-client-token': token } })
  t.equal(refused.status, 401, 'client disabled since: 401')
  t.equal(refused.json().code, 'invalid_token')
  t.equal(refused.json().detail, 'client is disabled')
  t.equal(echo.requests, reached, 'the disabled client did not reach the upstream')

  const narrowed = await startTestGateway(t, await tokenGatewayYaml({ upstream, android: 'scopes: [orders:read]' }), { files: { 'keys.json': keys } })
  const res = await call(`${narrowed.url}/api/orders/1`, { headers: { 'x-client-token': token } })
  t.equal(res.status, 200)
  t.equal(res.json<Echo>().headers['remote-scopes'], 'orders:read', 'scopes taken away since issue are not granted')
})
