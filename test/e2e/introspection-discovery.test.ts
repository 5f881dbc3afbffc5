import t from 'tap'
import { TEST_SERVER, startTestGateway, ordersRoute } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { AS_CLIENTS, startAuthServer } from '../helpers/oauth-server.js'
import { startMetadataMirror } from '../helpers/discovery.js'

function yaml (issuer: string, upstream: string): string {
  return `${TEST_SERVER}authenticators:
  oauth: { type: introspection, issuer: "${issuer}", clientId: ${AS_CLIENTS.basic.id}, clientSecret: ${AS_CLIENTS.basic.secret} }
${ordersRoute(upstream, 'oauth')}`
}

t.test('an introspection authenticator given only its issuer finds introspection_endpoint in /.well-known/openid-configuration', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, yaml(as.url, upstream))
  const token = await as.mint({ sub: 'alice', scope: 'orders:read' })
  const res = await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(res.status, 200)
  t.equal(res.json<Echo>().headers['remote-user'], 'alice')
  t.equal(as.calls, 1, 'the discovered endpoint was asked')
  await as.revoke(token)
  const other = await as.mint({ sub: 'bob' })
  t.equal((await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${other}` } })).status, 200)
  t.equal(as.calls, 2, 'the metadata is kept: each token costs one introspection call, no more fetches')
  t.equal(gw.logs.filter(l => l.msg === 'issuer metadata fetched').length, 1, 'fetched once')
})

t.test('an issuer that publishes only RFC 8414 metadata (/.well-known/oauth-authorization-server) is found too', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const issuer = await startMetadataMirror(t, as, { path: '/.well-known/oauth-authorization-server/tenant', issuer: url => `${url}/tenant` })
  const gw = await startTestGateway(t, yaml(`${issuer.url}/tenant`, upstream))
  const token = await as.mint({ sub: 'carol' })
  const res = await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(res.status, 200, 'the token was introspected at the endpoint the RFC 8414 document names')
  t.equal(res.json<Echo>().headers['remote-user'], 'carol')
  t.equal(as.calls, 1)
})
