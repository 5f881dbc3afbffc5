import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { SECRETS, basic, fetchToken, jwksFile, postForm, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** The same token with the unused low bits of its signature's last character flipped: it decodes to the same bytes. */
function reencoded (token: string): string {
  const last = B64URL.indexOf(token.at(-1) as string)
  return `${token.slice(0, -1)}${B64URL[last ^ 1] as string}`
}

t.test('without Redis, a revoked token is refused by the instance, whatever its encoding', async t => {
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const token = await fetchToken(gw.url, 'android', SECRETS.android)
  const variant = reencoded(token)
  t.not(variant, token)
  const url = `${gw.url}/api/orders/1`
  t.equal((await call(url, { headers: { 'x-client-token': variant } })).status, 200, 'the re-encoded token verifies (and is cached) first')
  t.equal((await call(url, { headers: { 'x-client-token': token } })).status, 200)

  const revoked = await postForm(`${gw.url}/oauth/revoke`, { token, client_id: 'android', client_secret: SECRETS.android })
  t.equal(revoked.status, 200)
  const reached = echo.requests
  for (const [name, value] of [['the token', token], ['its re-encoding', variant]] as const) {
    const res = await call(url, { headers: { 'x-client-token': value } })
    t.equal(res.status, 401, `${name}: refused after revocation`)
    t.equal(res.json().code, 'invalid_token')
    t.equal(res.json().detail, 'token has been revoked')
  }
  t.equal(echo.requests, reached, 'neither reached the upstream after revocation')
  const again = await postForm(`${gw.url}/oauth/revoke`, { token }, { authorization: basic('android', SECRETS.android) })
  t.equal(again.status, 200, 'revoking twice is fine')
})
