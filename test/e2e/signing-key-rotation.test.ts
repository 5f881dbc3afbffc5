import t from 'tap'
import { decodeProtectedHeader } from 'jose'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { SECRETS, fetchToken, jwksFile, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('rotation: with a new key first, the new key signs and tokens of the old key still verify', async t => {
  const upstream = await startEcho(t)
  const oldKey = await signingKey()
  const newKey = await signingKey()
  const yaml = await tokenGatewayYaml({ upstream })
  const before = await startTestGateway(t, yaml, { files: { 'keys.json': jwksFile(oldKey) } })
  const oldToken = await fetchToken(before.url, 'android', SECRETS.android)
  t.equal(decodeProtectedHeader(oldToken).kid, oldKey.kid)

  const rotated = await startTestGateway(t, yaml, { files: { 'keys.json': jwksFile(newKey, oldKey) } })
  const newToken = await fetchToken(rotated.url, 'android', SECRETS.android)
  t.equal(decodeProtectedHeader(newToken).kid, newKey.kid, 'the first key of the file signs')
  t.equal((await call(`${rotated.url}/api/orders/1`, { headers: { 'x-client-token': oldToken } })).status, 200, 'the old key still verifies')
  t.equal((await call(`${rotated.url}/api/orders/1`, { headers: { 'x-client-token': newToken } })).status, 200, 'the new key verifies')
  const published = (await call(`${rotated.url}/.well-known/jwks.json`)).json<{ keys: Array<{ kid: string }> }>()
  t.same(published.keys.map(k => k.kid), [newKey.kid, oldKey.kid], 'both are published')

  const retired = await startTestGateway(t, yaml, { files: { 'keys.json': jwksFile(newKey) } })
  t.equal(
    (await call(`${retired.url}/api/orders/1`, { headers: { 'x-client-token': oldToken } })).status,
    401,
    'once the old key is removed, its tokens are refused'
  )
  t.equal((await call(`${retired.url}/api/orders/1`, { headers: { 'x-client-token': newToken } })).status, 200)
})
