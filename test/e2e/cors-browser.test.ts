import t from 'tap'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import type { Page } from 'playwright-core'
import { launchBrowser } from '../helpers/browser.js'
import { startTestGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { SESSION_KEY, startOidcProvider, WEB_CLIENT } from '../helpers/oidc-provider.js'
import { CHROMIUM, requires } from '../helpers/requires.js'
import { until } from '../helpers/until.js'

interface Teardown { teardown (fn: () => unknown): void }

const JWT_SECRET = 'cors-test-shared-secret-0123456789abcdef'

async function listen (t: Teardown, server: Server, host: string): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return (server.address() as AddressInfo).port
}

/** A page origin: an empty HTML page the test runs fetch() from. */
async function pageServer (t: Teardown, host: string): Promise<string> {
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>') })
  return `http://${host}:${await listen(t, server, host)}`
}

interface Seen { method: string, url: string, headers: IncomingHttpHeaders }

/** The upstream: echoes what it got, records every request, and answers CORS of its own the gateway must not let through. */
async function recordingUpstream (t: Teardown): Promise<{ url: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      seen.push({ method: req.method as string, url: req.url as string, headers: req.headers })
      res
        .writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
        .end(JSON.stringify({ method: req.method, user: req.headers['remote-user'] ?? null }))
    })
  })
  return { url: `http://127.0.0.1:${await listen(t, server, '127.0.0.1')}`, seen }
}

const launch = launchBrowser

interface Read { status?: number, body?: Record<string, unknown>, requestId?: string | null, challenge?: string | null, error?: string }

/** fetch() as the page runs it: what the page can read of the answer, or the TypeError the browser gives it. */
async function pageFetch (
  page: Page,
  url: string,
  init: { method?: string, headers?: Record<string, string>, credentials?: 'omit' | 'include', body?: string }
): Promise<Read> {
  return await page.evaluate(
    async ({ url, init }) => {
      try {
        const r = await fetch(url, { ...init, mode: 'cors' })
        const text = await r.text()
        return {
          status: r.status,
          body: text === '' ? {} : JSON.parse(text),
          requestId: r.headers.get('x-request-id'),
          challenge: r.headers.get('www-authenticate')
        }
      } catch (err) {
        return { error: String(err) }
      }
    },
    { url, init }
  )
}

t.test(
  'cors in a real browser: a page of an allowed origin reads answers with a bearer ' +
    'token and with the session cookie; other origins read nothing and act on nothing',
  { skip: requires(CHROMIUM) },
  async t => {
    const port = await freePort()
    const gateway = `http://127.0.0.1:${port}`
    const op = await startOidcProvider(t, { origins: [gateway] })
    const upstream = await recordingUpstream(t)
    // The app: another port of the same host, so another origin of the same site (the Lax session cookie goes with its fetches).
    const app = await pageServer(t, '127.0.0.1')
    // Same site, not allowed: the cookie goes with its requests too, the gateway must not act on them.
    const sameSite = await pageServer(t, '127.0.0.1')
    // Another site altogether.
    const crossSite = await pageServer(t, 'localhost')
    const gw = await startTestGateway(
      t,
      `server:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:0
  cors: { origins: ["${app}"], credentials: true, exposeHeaders: [X-Request-Id, WWW-Authenticate], maxAge: 10m }
authenticators:
  idp: { type: jwt, issuer: "https://idp.test/", audience: orders-api, secret: "${JWT_SECRET}", algorithms: [HS256] }
  browser: { type: oidc, issuer: "${op.url}", clientId: ${WEB_CLIENT.id}, clientSecret: ${WEB_CLIENT.secret},
    userClaim: preferred_username, session: { key: "${SESSION_KEY}" } }
upstreams:
  app: { url: "${upstream.url}" }
routes:
  - match: /app/*
    methods: [GET, POST]
    upstream: app
    policy: user
    user: [idp, browser]
`
    )
    const jwt = await new SignJWT({ scope: 'orders:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://idp.test/')
      .setAudience('orders-api')
      .setSubject('bob')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JWT_SECRET))

    const context = await launch(t)
    const page = await context.newPage()
    await page.goto(`${app}/`)

    const bearer = await pageFetch(page, `${gateway}/app/orders`, { headers: { authorization: `Bearer ${jwt}` } })
    t.equal(bearer.status, 200, 'a bearer token from the allowed origin: the preflight passed, the answer is readable')
    t.equal(bearer.body?.user, 'bob', 'Remote-User reached the upstream')
    t.match(bearer.requestId, /.+/, 'an exposed header is readable')
    t.notOk(
      upstream.seen.some(s => s.method === 'OPTIONS'),
      'the preflight never reached the upstream'
    )
    t.ok(
      gw.logs.some(l => l.msg === 'request' && l.method === 'OPTIONS' && l.status === 204),
      'the gateway answered it 204'
    )

    const badToken = await pageFetch(page, `${gateway}/app/orders`, { headers: { authorization: 'Bearer not-a-jwt' } })
    t.equal(badToken.status, 401, 'a refusal is readable by the page')
    t.equal(badToken.body?.code, 'invalid_token', 'with its problem')
    t.match(badToken.challenge, /^Bearer /, 'and its exposed WWW-Authenticate')

    const noSession = await pageFetch(page, `${gateway}/app/orders`, { credentials: 'include' })
    t.equal(noSession.status, 401, 'cookies allowed, but no session yet')

    // Log in on the gateway's own origin, as the app would send its user there.
    const login = await context.newPage()
    await login.goto(`${gateway}/app/me`)
    await login.fill('input[name=login]', 'alice')
    await login.fill('input[name=password]', 'secret')
    await Promise.all([login.waitForURL(`${gateway}/app/me`), login.click('button[type=submit]')])
    t.ok(
      (await context.cookies(gateway)).some(c => c.name === 'gatehouse-session' && c.sameSite === 'Lax'),
      'a Lax session cookie for the gateway'
    )

    const cookie = await pageFetch(page, `${gateway}/app/orders`, { credentials: 'include' })
    t.equal(cookie.status, 200, 'with the session cookie (credentials: include): readable')
    t.equal(cookie.body?.user, 'alice')
    const post = await pageFetch(page, `${gateway}/app/orders`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json' },
      body: '{"amount":1}'
    })
    t.equal(post.status, 200, 'a cookie-authenticated POST from the origin allowed with credentials passes the CSRF check')
    t.same(post.body, { method: 'POST', user: 'alice' })
    const omitted = await pageFetch(page, `${gateway}/app/orders`, { credentials: 'omit' })
    t.equal(omitted.status, 401, 'credentials: omit sends no cookie')

    const before = upstream.seen.length
    const same = await context.newPage()
    await same.goto(`${sameSite}/`)
    const sameRead = await pageFetch(same, `${gateway}/app/orders`, { credentials: 'include' })
    t.match(sameRead.error, /TypeError/, 'a same-site origin not allowed: the page reads nothing')
    const samePost = await pageFetch(same, `${gateway}/app/orders`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'text/plain' },
      body: 'amount=1000'
    })
    t.match(samePost.error, /TypeError/, 'its simple POST gets nothing readable')
    // The page gets its TypeError from the browser as soon as the headers are in: the access line may follow.
    await until('the same-site POST refused csrf_failed', () =>
      gw.logs.some(l => l.msg === 'request' && l.method === 'POST' && l.status === 403 && String(l.reason).startsWith('csrf_failed'))
    )
    t.ok(
      gw.logs.some(l => l.msg === 'request' && l.method === 'POST' && l.status === 403 && String(l.reason).startsWith('csrf_failed')),
      'its POST, the session cookie on it, is refused csrf_failed'
    )
    const preflighted = await pageFetch(same, `${gateway}/app/orders`, { headers: { authorization: `Bearer ${jwt}` } })
    t.match(preflighted.error, /TypeError/, 'a preflighted request is not sent at all')
    t.ok(
      gw.logs.some(l => l.msg === 'request' && l.method === 'OPTIONS' && l.status === 403 && String(l.reason).startsWith('cors_forbidden')),
      'its preflight refused cors_forbidden'
    )

    const cross = await context.newPage()
    await cross.goto(`${crossSite}/`)
    t.match((await pageFetch(cross, `${gateway}/app/orders`, { credentials: 'include' })).error, /TypeError/, 'another site: nothing readable')
    t.match((await pageFetch(cross, `${gateway}/app/orders`, { headers: { authorization: `Bearer ${jwt}` } })).error, /TypeError/, 'nor with a token')
    t.equal(upstream.seen.filter(s => s.method === 'POST').length, 1, "the upstream saw only the allowed origin's POST")
    t.same(
      upstream.seen.slice(before).map(s => s.method),
      ['GET'],
      "after it, only the same-site page's simple GET (uncredentialed by CORS, it reached the upstream; its answer stayed unreadable)"
    )
  }
)
