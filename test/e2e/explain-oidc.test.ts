import t from 'tap'
import { explainRequest } from '../../src/explain/explain.js'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

t.test('explain: a browser-session route, as the gateway answers it', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const gw = await startTestGateway(t, oidcGatewayYaml({ port, provider: op, upstream: await startEcho(t) }))
  const page = await explainRequest(gw.gateway, { method: 'GET', url: '/app/', headers: { accept: 'text/html' }, ip: '127.0.0.1' })
  t.equal(page.decision.allowed, false)
  t.match(page.decision.reason, /302 to the OpenID Provider's login \(authenticator browser\)/, 'a page load: sent to log in')
  t.equal((await call(`${origin}/app/`, { headers: { accept: 'text/html' } })).status, 302, 'as the gateway does')
  const xhr = await explainRequest(gw.gateway, { method: 'GET', url: '/app/', headers: { accept: 'application/json' }, ip: '127.0.0.1' })
  t.notMatch(xhr.decision.reason, /302/, 'an XHR: the 401 only')
  t.match(JSON.stringify(page), /cookie gatehouse-session/, 'it reads the session cookie')

  const { sid } = await logIn(new ScriptedBrowser(), origin, '/app/', 'alice')
  const session = await explainRequest(gw.gateway, { method: 'GET', url: '/app/', headers: { cookie: `gatehouse-session=${sid}` }, ip: '127.0.0.1' })
  t.equal(session.decision.allowed, true, 'with the session: allowed')
  t.equal(session.identity?.principals?.user, 'alice')
})
