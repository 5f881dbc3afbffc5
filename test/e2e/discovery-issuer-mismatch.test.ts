import t from 'tap'
import { TEST_SERVER, startTestGateway, ordersRoute } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { AS_CLIENTS, startAuthServer } from '../helpers/oauth-server.js'
import { startMetadataMirror } from '../helpers/discovery.js'

t.test('metadata naming another issuer is refused: 503, and the endpoint it names is never used', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  // The document is the real server's, issuer included: served from another origin it is an impostor's.
  const impostor = await startMetadataMirror(t, as, { path: '/.well-known/openid-configuration', issuer: () => as.url })
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
  oauth: { type: introspection, issuer: "${impostor.url}", clientId: ${AS_CLIENTS.basic.id}, clientSecret: ${AS_CLIENTS.basic.secret} }
  idp: { type: jwt, issuer: "${impostor.url}", audience: orders-api }
${ordersRoute(upstream, 'oauth')}`)
  const token = await as.mint()
  for (let i = 0; i < 2; i++) {
    const res = await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 503, `attempt ${i + 1}: 503, never a pass`)
    t.equal(res.json().code, 'auth_unavailable')
  }
  t.equal(as.calls, 0, 'the introspection endpoint of the refused document was never called')
  const refusals = gw.logs.filter(l => l.msg === 'issuer metadata could not be fetched')
  t.ok(refusals.some(l => l.authenticator === 'oauth' && String(l.error).includes(`names issuer "${as.url}"`)), 'the mismatch is logged for introspection')
  t.ok(refusals.some(l => l.authenticator === 'idp'), 'and for the jwt authenticator')
  t.notOk(gw.logs.some(l => l.msg === 'JWKS fetched'), 'no keys were taken from the impostor\'s jwks_uri')
})
