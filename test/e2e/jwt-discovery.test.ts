import t from 'tap'
import { TEST_SERVER, startTestGateway, ordersRoute } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { JWT_AUDIENCE, startAuthServer } from '../helpers/oauth-server.js'

t.test('a jwt authenticator given only its issuer finds the JWKS from the issuer\'s metadata (oidc-provider)', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
  idp: { type: jwt, issuer: "${as.url}", audience: ${JWT_AUDIENCE} }
${ordersRoute(upstream, 'idp')}`)
  const token = await as.jwtAccessToken('orders:read')
  t.equal(token.split('.').length, 3, 'the authorization server issued a JWT')
  const res = await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(res.status, 200, 'the token is verified with the discovered keys')
  const echo = res.json<Echo>()
  t.equal(echo.headers['remote-user'], 'mobile-app', 'the user is the token\'s sub')
  t.equal(echo.headers['remote-scopes'], 'orders:read')

  const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(342)}`
  t.equal((await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${forged}` } })).status, 401, 'a bad signature is still refused')
  t.ok(gw.logs.some(l => l.msg === 'issuer metadata fetched' && l.issuer === as.url), 'the metadata fetch is logged')
  t.ok(gw.logs.some(l => l.msg === 'JWKS fetched' && l.jwksUri === `${as.url}/jwks`), 'the JWKS came from the metadata\'s jwks_uri')
})
