import t from 'tap'
import { startCountingEcho } from '../helpers/upstream.js'
import { startGatewayPair } from '../helpers/gateway-pair.js'
import { call } from '../helpers/http.js'
import { SECRETS, basic, fetchToken, jwksFile, postForm, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('a token revoked on one instance is refused by another instance sharing Redis', async t => {
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const keys = jwksFile(await signingKey())
  const { a, b } = await startGatewayPair(t, async url => await tokenGatewayYaml({ upstream, redis: url }), { files: { 'keys.json': keys } })

  const token = await fetchToken(a.url, 'android', SECRETS.android)
  const other = await fetchToken(a.url, 'android', SECRETS.android)
  for (const gw of [a, b]) {
    t.equal((await call(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': token } })).status, 200, 'accepted (and cached) before revocation')
  }

  const notHis = await postForm(`${a.url}/oauth/revoke`, { token }, { authorization: basic('ios', SECRETS.ios) })
  t.equal(notHis.status, 400, 'another client cannot revoke it')
  t.equal(notHis.json().error, 'unauthorized_client')
  t.equal((await call(`${b.url}/api/orders/1`, { headers: { 'x-client-token': token } })).status, 200, 'still valid after a refused revocation')

  const revoked = await postForm(`${a.url}/oauth/revoke`, { token, token_type_hint: 'access_token' }, { authorization: basic('android', SECRETS.android) })
  t.equal(revoked.status, 200)
  t.equal(revoked.headers['cache-control'], 'no-store')
  const reached = echo.requests

  for (const [name, gw] of [['revoking instance', a], ['second instance', b]] as const) {
    const res = await call(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': token } })
    t.equal(res.status, 401, `${name}: refused`)
    t.equal(res.json().code, 'invalid_token')
    t.equal(res.json().detail, 'token has been revoked')
  }
  t.equal(echo.requests, reached, 'no instance let the revoked token reach the upstream')
  t.equal((await call(`${b.url}/api/orders/1`, { headers: { 'x-client-token': other } })).status, 200, 'the client\'s other token is untouched')

  const unknown = await postForm(`${b.url}/oauth/revoke`, { token: 'not-a-token-we-issued' }, { authorization: basic('android', SECRETS.android) })
  t.equal(unknown.status, 200, 'RFC 7009: unknown tokens are answered 200 too')
  const unauthenticated = await postForm(`${b.url}/oauth/revoke`, { token: other })
  t.equal(unauthenticated.status, 401, 'revocation needs client authentication')
  t.equal(unauthenticated.json().error, 'invalid_client')
})
