import t from 'tap'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { ScriptedBrowser, SESSION_KEY, startOidcProvider, WEB_CLIENT } from '../helpers/oidc-provider.js'

t.test('oidc: a page load logs in through the provider and comes back with Remote-User', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin], claims: { alice: { groups: ['staff'] } } })
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER.replace('127.0.0.1:0', `127.0.0.1:${port}`)}
identity:
  claims: { email: Remote-Email }
authenticators:
  browser:
    type: oidc
    issuer: "${op.url}"
    clientId: ${WEB_CLIENT.id}
    clientSecret: ${WEB_CLIENT.secret}
    userClaim: preferred_username
    session: { key: "${SESSION_KEY}" }
upstreams:
  app: { url: "${upstream}" }
routes:
  - match: /app/*
    upstream: app
    policy: user
    user: [browser]
`)
  t.equal(gw.url, origin)

  const xhr = await call(`${origin}/app/data`, { headers: { accept: 'application/json' } })
  t.equal(xhr.status, 401, 'an XHR without a session: 401')
  t.match(xhr.headers['content-type'], /application\/problem\+json/)
  t.equal(xhr.json().code, 'missing_credentials')

  const first = await call(`${origin}/app/page?x=1`, { headers: { accept: 'text/html' } })
  t.equal(first.status, 302, 'a page load without a session: sent to the provider')
  const to = new URL(first.headers.location as string)
  t.equal(to.origin, op.url)
  t.equal(to.searchParams.get('code_challenge_method'), 'S256')
  t.equal(to.searchParams.get('redirect_uri'), `${origin}/oauth2/callback`)
  t.ok((to.searchParams.get('state') ?? '').length >= 43, 'a random state')
  t.ok((to.searchParams.get('nonce') ?? '').length >= 43, 'a random nonce')
  t.match(
    String(first.headers['set-cookie']),
    /^gatehouse-session-login=[^;]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/,
    'the login cookie: HttpOnly, Lax, not Secure over plain HTTP'
  )

  const browser = new ScriptedBrowser()
  const form = await browser.go(`${origin}/app/page?x=1`)
  t.equal(form.status, 200)
  t.match(form.url, op.url, 'at the provider\'s login form')
  const back = await browser.signIn(form, 'alice')
  t.equal(back.status, 200, 'back at the page asked for')
  t.equal(back.url, `${origin}/app/page?x=1`)
  const echo = JSON.parse(back.text) as Echo
  t.equal(echo.url, '/app/page?x=1')
  t.equal(echo.headers['remote-user'], 'alice', 'Remote-User reaches the upstream')
  t.equal(echo.headers['remote-email'], 'alice@example.com', 'a userinfo claim as a header')
  t.equal(echo.headers['remote-auth'], 'browser')
  t.notOk(String(echo.headers.cookie ?? '').includes('gatehouse-session'), 'the session cookie is not forwarded')

  const sid = browser.cookies(origin).get('gatehouse-session') as string
  t.match(sid, /^[A-Za-z0-9_-]{43}$/, 'the cookie is an opaque id')
  t.notOk(browser.cookies(origin).has('gatehouse-session-login'), 'the login cookie is cleared')
  const api = await call(`${origin}/app/data`, { headers: { accept: 'application/json', cookie: `other=1; gatehouse-session=${sid}` } })
  t.equal(api.status, 200, 'an XHR with the session cookie passes')
  t.equal(api.json<Echo>().headers.cookie, 'other=1', 'other cookies reach the upstream, the session one does not')
  t.notOk(gw.logText().includes(sid), 'the session id is never logged')

  const forged = await call(`${origin}/app/data`, { headers: { accept: 'application/json', cookie: `gatehouse-session=${'A'.repeat(43)}` } })
  t.equal(forged.status, 401, 'an unknown session id is no session')

  const replay = await call(`${origin}/oauth2/callback?state=x&code=y`, { headers: { accept: 'text/html' } })
  t.equal(replay.status, 401, 'a callback without this browser\'s login cookie is refused')
  t.equal(replay.json().code, 'invalid_credentials')
})

t.test('oidc: behind a TLS proxy the cookies are __Host- and Secure, the redirect URI https', async t => {
  const port = await freePort()
  const op = await startOidcProvider(t, { origins: [`https://127.0.0.1:${port}`] })
  const upstream = await startEcho(t)
  await startTestGateway(t, `server:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:0
  trustProxy: true
authenticators:
  browser: { type: oidc, issuer: "${op.url}", clientId: ${WEB_CLIENT.id}, clientSecret: ${WEB_CLIENT.secret}, session: { key: "${SESSION_KEY}" } }
upstreams:
  app: { url: "${upstream}" }
routes:
  - { match: /app/*, upstream: app, policy: user, user: [browser] }
`)
  const res = await call(`http://127.0.0.1:${port}/app/`, { headers: { accept: 'text/html', 'x-forwarded-proto': 'https' } })
  t.equal(res.status, 302)
  t.equal(new URL(res.headers.location as string).searchParams.get('redirect_uri'), `https://127.0.0.1:${port}/oauth2/callback`)
  t.match(String(res.headers['set-cookie']), /^__Host-gatehouse-session-login=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
})

t.test('oidc: a provider that cannot be reached is 503, never a pass', async t => {
  const port = await freePort()
  const dead = await freePort()
  const upstream = await startEcho(t)
  await startTestGateway(t, `${TEST_SERVER}authenticators:
  browser: { type: oidc, issuer: "http://127.0.0.1:${dead}", clientId: web, clientSecret: s, timeout: 1s, session: { key: "${SESSION_KEY}" } }
upstreams:
  app: { url: "${upstream}" }
routes:
  - { match: /app/*, upstream: app, policy: user, user: [browser] }
`.replace('127.0.0.1:0', `127.0.0.1:${port}`))
  const res = await call(`http://127.0.0.1:${port}/app/`, { headers: { accept: 'text/html' } })
  t.equal(res.status, 503)
  t.equal(res.json().code, 'auth_unavailable')
  t.ok(res.headers['retry-after'], 'with Retry-After')
})
