import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { headerAll, hostOf, rawRequest, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'
import { SESSION_KEY, WEB_CLIENT, startOidcProvider } from '../helpers/oidc-provider.js'

/** What a compromised or careless upstream answers: the gateway's own cookies planted or cleared, beside its own. */
const PLANTED = [
  'gatehouse-session=attacker-session; Path=/; HttpOnly',
  '__Host-gatehouse-session=attacker-session; Path=/; Secure; HttpOnly',
  '__HOST-gatehouse-session=attacker-session; Path=/; Secure',
  '=gatehouse-session=attacker-session; Path=/',
  'gatehouse-session-login=attacker-login; Path=/',
  '__Host-gatehouse-session-login=; Max-Age=0; Path=/; Secure',
  'gatehouse-session=; Max-Age=0; Path=/'
]
const APP = ['csrftoken=abc; Path=/; SameSite=Lax', 'sessionid=django; Path=/; HttpOnly']

t.test('an upstream cannot plant or clear the gateway\'s session or login cookie: its other cookies get through', async t => {
  const op = await startOidcProvider(t, { origins: [] })
  const upstream = await startRawUpstream(t, (req, socket) => {
    // A refused WebSocket handshake is relayed as the upstream's own HTTP answer.
    const status = req.target.startsWith('/ws/') ? 403 : 200
    socket.write(responseBytes(status, ['Content-Type: text/plain', ...[APP[0], ...PLANTED, APP[1]].map(c => `Set-Cookie: ${c}`)], 'ok'))
  })
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
  browser: { type: oidc, issuer: "${op.url}", clientId: ${WEB_CLIENT.id}, clientSecret: ${WEB_CLIENT.secret}, session: { key: "${SESSION_KEY}" } }
upstreams:
  app: { url: "${upstream.url}" }
routes:
  - { match: /api/*, upstream: app, policy: public }
  - { match: /ws/*, upstream: app, policy: public, websocket: true }
`)
  const plain = await rawRequest(t, gw.url, requestBytes('GET', '/api/login', hostOf(gw.url)))
  t.equal(plain.status, 200)
  t.same(headerAll(plain, 'set-cookie'), APP, 'HTTP: only the app\'s own cookies, in order')

  const refused = await rawRequest(t, gw.url, requestBytes('GET', '/ws/chat', hostOf(gw.url), [
    'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='
  ]))
  t.equal(refused.status, 403, 'the upstream refused the handshake')
  t.same(headerAll(refused, 'set-cookie'), APP, 'a refused WebSocket handshake: only the app\'s own cookies')
})
