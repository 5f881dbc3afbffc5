import t from 'tap'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import type { OidcAuthenticator } from '../../src/auth/oidc/oidc-authenticator.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { KEYS, clientsYaml } from '../helpers/gateway.js'
import { OFFLINE_BROWSER_LOGIN } from '../helpers/offline-browser-login.js'

const APP = 'https://app.example'
const KEY = ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version', '13']
const UPGRADE = ['Connection', 'Upgrade', 'Upgrade', 'websocket', ...KEY]

// The session is made with the authenticator's own test hook (what policy tests use): no provider is asked.
async function sessionGateway (t: { teardown: (fn: () => Promise<void>) => void }): Promise<{ gateway: Gateway, cookie: string }> {
  const gateway = await createGateway(configOf(`cache:
  redis: ""
${clientsYaml()}
authenticators:
  ${OFFLINE_BROWSER_LOGIN}
  appKey: { type: apiKey, header: X-API-Key }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /app/*, upstream: web, policy: user, user: [browser], websocket: {} }
  - { match: /strict/*, upstream: web, policy: user, user: [browser], csrf: strict }
  - { match: /shared/*, upstream: web, policy: user, user: [browser], cors: { origins: ["${APP}"], credentials: true } }
  - { match: /keyed/*, upstream: web, policy: client, client: [appKey] }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const browser = gateway.authenticators.get('browser') as OidcAuthenticator
  const cookie = await browser.testSession('alice', {}, [], false)
  return { gateway, cookie }
}

const ask = async (gateway: Gateway, method: string, target: string, headers: string[]): Promise<Outcome> =>
  await decide(gateway, decisionRequest({ method, target, rawHeaders: ['Host', 'gw.test', ...headers] }), { dryRun: true })

const csrfRefusal = (detail: string): unknown => ({
  kind: 'deny',
  stage: 'csrf',
  identity: { user: { id: 'alice' } },
  error: { status: 403, code: 'csrf_failed', principal: 'user', authenticator: 'browser', detail }
})

t.test('a session cookie\'s unsafe request from another site is 403 csrf_failed; from this site, or a safe one, it passes', async t => {
  const { gateway, cookie } = await sessionGateway(t)
  const session = ['Cookie', cookie]
  t.match(await ask(gateway, 'POST', '/app/1', [...session, 'Origin', 'http://gw.test']), { kind: 'allow', identity: { user: { id: 'alice' } } })
  t.match(await ask(gateway, 'POST', '/app/1', [...session, 'Sec-Fetch-Site', 'same-origin']), { kind: 'allow' })
  t.match(await ask(gateway, 'GET', '/app/1', [...session, 'Sec-Fetch-Site', 'cross-site']), { kind: 'allow' }, 'a link from another site')
  const changes = 'a request authenticated by the session cookie that changes state must come from this site'
  t.match(await ask(gateway, 'POST', '/app/1', [...session, 'Origin', 'https://evil.example']), csrfRefusal(changes))
  t.match(await ask(gateway, 'DELETE', '/app/1', [...session, 'Sec-Fetch-Site', 'same-site']), csrfRefusal(changes), 'a sibling subdomain')
  t.match(await ask(gateway, 'PUT', '/app/1', session), csrfRefusal(changes), 'neither Origin nor Referer: not shown to be this site')
})

t.test('a WebSocket opened with the session cookie from another site is refused, from this site it is switched', async t => {
  const { gateway, cookie } = await sessionGateway(t)
  t.match(await ask(gateway, 'GET', '/app/ws', ['Cookie', cookie, ...UPGRADE, 'Origin', 'http://gw.test']), { kind: 'allow', webSocket: true })
  t.match(await ask(gateway, 'GET', '/app/ws', ['Cookie', cookie, ...UPGRADE, 'Origin', 'https://evil.example']), {
    ...csrfRefusal('a WebSocket authenticated by the session cookie must be opened from this site') as object,
    webSocket: true
  })
})

t.test('csrf: strict refuses a GET the browser marks as from another origin; the default (lax) lets it through', async t => {
  const { gateway, cookie } = await sessionGateway(t)
  const crossSite = ['Cookie', cookie, 'Sec-Fetch-Site', 'cross-site']
  t.match(await ask(gateway, 'GET', '/app/1', crossSite), { kind: 'allow' }, 'lax')
  t.match(await ask(gateway, 'GET', '/strict/1', crossSite),
    csrfRefusal('this route (csrf: strict) takes requests authenticated by the session cookie from this site only'))
  t.match(await ask(gateway, 'HEAD', '/strict/1', ['Cookie', cookie, 'Origin', 'https://evil.example']), { kind: 'deny', stage: 'csrf' })
  t.match(await ask(gateway, 'GET', '/strict/1', ['Cookie', cookie, 'Sec-Fetch-Site', 'same-origin']), { kind: 'allow' })
  t.match(await ask(gateway, 'GET', '/strict/1', ['Cookie', cookie]), { kind: 'allow' }, 'a typed URL: nothing says another origin')
})

t.test('an origin the route\'s CORS lets send cookies passes the check; one it does not is refused', async t => {
  const { gateway, cookie } = await sessionGateway(t)
  t.match(await ask(gateway, 'POST', '/shared/1', ['Cookie', cookie, 'Origin', APP]), { kind: 'allow' })
  t.match(await ask(gateway, 'POST', '/shared/1', ['Cookie', cookie, 'Origin', 'https://evil.example']), { kind: 'deny', stage: 'csrf' })
  t.match(await ask(gateway, 'POST', '/app/1', ['Cookie', cookie, 'Origin', APP]), { kind: 'deny', stage: 'csrf' }, 'a route without that CORS')
})

t.test('a credential another site cannot make the browser send needs no same-origin check', async t => {
  const { gateway } = await sessionGateway(t)
  t.match(await ask(gateway, 'POST', '/keyed/1', ['X-API-Key', KEYS.android, 'Origin', 'https://evil.example']), { kind: 'allow' })
})
