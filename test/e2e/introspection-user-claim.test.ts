import t from 'tap'
import { TEST_SERVER, startTestGateway, ordersRoute } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { AS_CLIENTS, startAuthServer } from '../helpers/oauth-server.js'

t.test('introspection: userClaim, scope and client_id are mapped; form-field client auth works', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  // django-oauth-toolkit answers `username`; the gateway authenticates with form fields here.
  const gw = await startTestGateway(
    t,
    `${TEST_SERVER}identity:
  claims: { client_id: Remote-Token-Client }
authenticators:
  dot: { type: introspection, endpoint: "${as.introspectionEndpoint}", clientId: ${AS_CLIENTS.post.id}, clientSecret: ${AS_CLIENTS.post.secret},
    clientAuth: post, userClaim: username }
${ordersRoute(upstream, 'dot')}`
  )
  const url = `${gw.url}/api/orders/1`

  const token = await as.mint({ sub: 'user-7f3a', scope: 'orders:read orders:write', extra: { username: 'alice.smith' } })
  const ok = await call(url, { headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.status, 200)
  const seen = ok.json<Echo>().headers
  t.equal(seen['remote-user'], 'alice.smith', 'userClaim: username, not sub')
  t.equal(seen['remote-scopes'], 'orders:read orders:write', 'scope split on spaces')
  t.equal(seen['remote-token-client'], AS_CLIENTS.app.id, 'client_id kept as a claim')

  const noUsername = await as.mint({ sub: 'carol' })
  const refused = await call(url, { headers: { authorization: `Bearer ${noUsername}` } })
  t.equal(refused.status, 401, 'an active token without the user claim is refused')
  t.equal(refused.json().detail, 'token has no username')
})
