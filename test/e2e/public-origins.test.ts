import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call, type Response } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

t.test('server.publicOrigins: a foreign Host is refused 421 everywhere; login and CSRF use the configured origin that matched', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const named = `http://gateway.test:${port}`
  const proxied = 'https://api.example.com'
  const foreign = `http://evil.test:${port}`
  // The provider would take every one of them back, the foreign one too: only the gateway stands between.
  const op = await startOidcProvider(t, { origins: [origin, named, proxied, foreign] })
  const upstream = await startEcho(t)
  const base = oidcGatewayYaml({ port, provider: op, upstream }).replace(
    'server:\n',
    `server:\n  publicOrigins: [${origin}, "http://GATEWAY.test:${port}", ${proxied}]\n  trustProxy: [10.9.9.9]\n`
  )
  await startTestGateway(t, `${base}  - { match: /api/*, upstream: app, policy: public }
`)
  const { sid } = await logIn(new ScriptedBrowser(), origin, '/app/', 'alice')
  const cookie = `gatehouse-session=${sid}`
  const misdirected = (res: Response, what: string): void => {
    t.equal(res.status, 421, what)
    t.equal(res.json().code, 'misdirected_request', what)
    t.equal(res.headers.location, undefined, `${what}: no redirect anywhere`)
  }

  const host = new URL(foreign).host
  misdirected(await call(`${origin}/api/x`, { headers: { host } }), 'a route')
  misdirected(await call(`${origin}/nowhere`, { headers: { host } }), 'a path no route matches')
  misdirected(await call(`${origin}/.well-known/jwks.json`, { headers: { host } }), 'the token endpoints')
  misdirected(
    await call(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials'
    }),
    'POST /oauth/token'
  )
  misdirected(await call(`${origin}/oauth2/callback?code=x&state=y`, { headers: { host } }), 'the login callback')
  misdirected(await call(`${origin}/oauth2/logout`, { method: 'POST', headers: { host, cookie, origin: foreign } }), 'the logout')
  misdirected(await call(`${origin}/app/`, { headers: { host, accept: 'text/html' } }), 'a login started with a foreign Host: no redirect_uri on that host')
  misdirected(await call(`${origin}/app/`, { headers: { host, cookie, accept: 'application/json' } }), 'a session on a foreign Host')
  misdirected(await call(`${origin}/api/x`, { headers: { host: `127.0.0.1:${port}.evil.test` } }), 'a Host that only starts like ours')
  misdirected(await call(`${origin}/api/x`, { headers: { host: `127.0.0.1:${port + 1}` } }), 'another port')
  t.equal((await call(`${origin}/app/x`, { headers: { cookie, accept: 'application/json' } })).status, 200, 'the session was never touched')

  const page = await call(`${origin}/app/`, { headers: { host: `GATEWAY.TEST:${port}`, accept: 'text/html' } })
  t.equal(page.status, 302, 'a configured host, in any case, starts the login')
  const redirectUri = new URL(page.headers.location as string).searchParams.get('redirect_uri')
  t.equal(redirectUri, `${named}/oauth2/callback`, 'the redirect_uri is the configured origin, not the Host as sent')

  const echoed = (
    await call(`${origin}/api/x`, { headers: { host: `gateway.test:${port}`, 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https' } })
  ).json<Echo>()
  t.equal(
    echoed.headers['x-forwarded-host'],
    `gateway.test:${port}`,
    'X-Forwarded-Host from an untrusted peer is ignored: the upstream hears the configured host'
  )
  t.equal(echoed.headers['x-forwarded-proto'], 'http')

  const post = async (headers: Record<string, string>): Promise<number> =>
    (await call(`${origin}/app/orders`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: '{}' })).status
  t.equal(await post({ host: `GATEWAY.test:${port}`, origin: named }), 200, 'CSRF: the Origin is compared with the configured origin that matched')
  t.equal(await post({ host: `gateway.test:${port}`, origin }), 403, 'CSRF: another configured origin is still another origin')
  t.equal(await post({ host: `127.0.0.1:${port}`, origin }), 200)
})

t.test('server.publicOrigins behind a trusted proxy: X-Forwarded-Host and -Proto must name a configured origin, and login uses it', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const proxied = 'https://api.example.com'
  const op = await startOidcProvider(t, { origins: [origin, proxied, 'https://evil.test'] })
  const upstream = await startEcho(t)
  const base = oidcGatewayYaml({ port, provider: op, upstream }).replace('server:\n', `server:\n  publicOrigins: [${proxied}]\n  trustProxy: loopback\n`)
  await startTestGateway(t, base)
  const via = (host: string, proto: string): Record<string, string> => ({ 'x-forwarded-host': host, 'x-forwarded-proto': proto, accept: 'text/html' })

  const page = await call(`${origin}/app/`, { headers: via('api.example.com', 'https') })
  t.equal(page.status, 302)
  t.equal(new URL(page.headers.location as string).searchParams.get('redirect_uri'), `${proxied}/oauth2/callback`, 'the origin the proxy names, configured')
  for (const [h, p, what] of [
    ['evil.test', 'https', 'a foreign forwarded host'],
    ['api.example.com', 'http', 'the right host over the wrong scheme'],
    ['api.example.com:8443', 'https', 'another port']
  ]) {
    const res = await call(`${origin}/app/`, { headers: via(h as string, p as string) })
    t.equal(res.status, 421, what as string)
    t.equal(res.headers.location, undefined, `${what as string}: no redirect_uri anywhere`)
  }
  t.equal((await call(`${origin}/app/`, { headers: { accept: 'text/html' } })).status, 421, 'the proxy\'s own Host is not a public origin either')
})
