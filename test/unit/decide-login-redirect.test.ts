import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { SESSION_KEY, WEB_CLIENT, startOidcProvider } from '../helpers/oidc-provider.js'

const PAGE = ['Host', 'gw.test', 'Accept', 'text/html', 'Sec-Fetch-Mode', 'navigate', 'Sec-Fetch-Dest', 'document']

t.test('a page load without a session is sent to the provider, with this origin\'s redirect_uri; an upgrade or an API call is 401', async t => {
  const provider = await startOidcProvider(t, { origins: ['http://gw.test'] })
  // The browser login is the second of two user authenticators: one browser session on the route is enough.
  const gateway = await createGateway(configOf(`cache:
  redis: ""
authenticators:
  idp: { type: jwt, issuer: "https://idp.test/", audience: web, secret: "${'h'.repeat(40)}" }
  browser: { type: oidc, issuer: "${provider.url}", clientId: ${WEB_CLIENT.id}, clientSecret: ${WEB_CLIENT.secret}, session: { key: "${SESSION_KEY}" } }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /app/*, upstream: web, policy: user, user: [idp, browser], websocket: {} }
  - { match: /page/*, upstream: web, policy: user, user: [browser] }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())

  const page = await decide(gateway, decisionRequest({ method: 'GET', target: '/app/orders?x=1', rawHeaders: PAGE }))
  t.match(page, { kind: 'login', authenticator: { name: 'browser' }, error: { status: 401, code: 'missing_credentials' } })
  const location = new URL((page as { answer: { location: string } }).answer.location)
  t.equal(location.origin, provider.url, 'to the provider')
  t.equal(location.searchParams.get('redirect_uri'), 'http://gw.test/oauth2/callback', 'back to the origin the request named')
  t.equal(location.searchParams.get('client_id'), WEB_CLIENT.id)
  const cookie = (page as { answer: { cookies: string[] } }).answer.cookies[0] as string
  t.notMatch(cookie, /^__Host-|; Secure/, 'over http the login cookie is neither __Host- nor Secure')
  const secure = await decide(gateway, decisionRequest({ method: 'GET', target: '/app/orders', rawHeaders: PAGE, tls: { encrypted: true, authorized: false } }))
  const secureAnswer = (secure as { answer: { location: string, cookies: string[] } }).answer
  t.equal(new URL(secureAnswer.location).searchParams.get('redirect_uri'), 'https://gw.test/oauth2/callback')
  t.match(secureAnswer.cookies[0], /^__Host-[^;]*;.*; Secure/, 'over https the login cookie is __Host- and Secure')
  t.match(await decide(gateway, decisionRequest({ method: 'GET', target: '/page/1', rawHeaders: PAGE }), { dryRun: true }),
    { kind: 'login', authenticator: { name: 'browser' } }, 'the browser login alone on its route')

  const upgrade = await decide(gateway, decisionRequest({
    method: 'GET',
    target: '/app/ws',
    rawHeaders: [...PAGE, 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Version', '13', 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']
  }))
  t.match(upgrade, { kind: 'deny', webSocket: true, error: { status: 401, code: 'missing_credentials' } }, 'a WebSocket cannot follow a redirect')

  const api = await decide(gateway, decisionRequest({ method: 'GET', target: '/app/orders', rawHeaders: ['Host', 'gw.test', 'Accept', 'application/json'] }))
  t.match(api, { kind: 'deny', error: { status: 401, code: 'missing_credentials' } }, 'not a page load')
})
