import t from 'tap'
import { KEYS, startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml } from '../helpers/decision-api.js'
import { call, type Response } from '../helpers/http.js'
import { scrape } from '../helpers/metrics.js'
import { oidcGatewayYaml, startOidcProvider } from '../helpers/oidc-provider.js'
import { freePort } from '../helpers/ports.js'
import { startEcho } from '../helpers/upstream.js'
import { userToken } from '../helpers/user-token.js'

t.test('Traefik forwardAuth and Envoy ext_authz: the original request read from each door, answered as each proxy takes it', async t => {
  const gw = await startTestGateway(t, decisionsYaml(await startEcho(t)))
  const api = gw.decisionsUrl as string
  const ask = async (path: string, headers: Record<string, string>, method = 'GET'): Promise<Response> =>
    await call(`${api}${path}`, { method, headers: { 'x-gatehouse-decisions-token': DECISIONS_TOKEN, ...headers } })
  const lastLine = (): Record<string, unknown> => gw.logs.filter(l => l.msg === 'decision').at(-1) as Record<string, unknown>
  const alice = `Bearer ${await userToken('alice')}`
  const traefik = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example', 'x-forwarded-for': '203.0.113.9, 198.51.100.4' }

  t.test('/traefik: X-Forwarded-Method and -Uri are the request, the last X-Forwarded-For entry the client', async t => {
    const allowed = await ask('/traefik', {
      ...traefik,
      'x-forwarded-method': 'DELETE',
      'x-forwarded-uri': '/both/7?x=1',
      authorization: alice,
      'x-api-key': KEYS.android
    })
    t.equal(allowed.status, 200)
    t.equal(allowed.headers['remote-user'], 'alice', 'the identity as response headers (authResponseHeaders)')
    t.equal(allowed.headers['remote-client'], 'android')
    t.ok(allowed.headers['remote-identity'], 'the signed assertion too')
    t.equal(allowed.text, '', 'no body')
    t.match(lastLine(), { door: 'traefik', method: 'DELETE', path: '/both/7', ip: '198.51.100.4', decision: 'allow' })

    const refused = await ask('/traefik', { ...traefik, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/user/me' })
    t.equal(refused.status, 401, 'the status the proxy path gives')
    t.match(refused.headers['www-authenticate'], /^Bearer realm="gatehouse"/)
    t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(refused.json(), { code: 'missing_credentials', status: 401 })

    const missing = await ask('/traefik', { 'x-forwarded-method': 'GET' })
    t.equal(missing.status, 400, 'a proxy that leaves the URI out: 400')
    t.match(missing.json().detail, /X-Forwarded-Uri/)
  })

  t.test('/envoy/…: the method and the path after /envoy, the headers as sent', async t => {
    const allowed = await ask('/envoy/user/me?page=2', { authorization: alice, 'x-forwarded-proto': 'https' }, 'POST')
    t.equal(allowed.status, 200)
    t.equal(allowed.headers['remote-user'], 'alice')
    t.match(lastLine(), { door: 'envoy', method: 'POST', path: '/user/me', route: '/user/*' })
    const forged = await ask('/envoy/user/me', { authorization: `${alice.slice(0, -4)}AAAA` })
    t.equal(forged.status, 401)
    t.equal(forged.json().code, 'invalid_token')
    const none = await ask('/envoy/nowhere', {})
    t.equal(none.status, 404, 'no route: 404 as the proxy path gives')
  })

  t.test('client-sent identity headers and proxy conventions are never the client\'s credentials or identity', async t => {
    const spoofed = { 'remote-user': 'mallory', 'remote-client': 'android', remote_user: 'mallory', 'remote-identity': 'x.y.z' }
    for (const [door, headers] of [
      ['/nginx', { 'x-original-method': 'GET', 'x-original-uri': '/public/a' }],
      ['/traefik', { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/public/a' }],
      ['/envoy/public/a', {}]
    ] as const) {
      const res = await ask(door, { ...headers, ...spoofed })
      t.equal(res.status, 200, `${door}: allowed (public)`)
      t.notOk(res.headers['remote-user'], `${door}: no user told`)
      t.notOk(res.headers['remote-client'], `${door}: no client told`)
      t.notMatch(String(res.headers['remote-identity']), /^x\.y\.z$/, `${door}: the assertion is the gateway's`)
    }
  })

  t.test('what the proxy must describe, and what it cannot ask', async t => {
    t.equal((await ask('/nginx', { 'x-original-uri': '/public/a' })).status, 400, 'no X-Original-Method: 400')
    const badIp = await ask('/nginx', { 'x-original-method': 'GET', 'x-original-uri': '/public/a', 'x-real-ip': 'not-an-address' })
    t.equal(badIp.status, 400, 'a client address that is not one: 400')
    const ingress = await ask('/nginx', { 'x-original-method': 'GET', 'x-original-url': 'https://app.example/user/me?x=1', authorization: alice })
    t.equal(ingress.status, 200, 'ingress-nginx: X-Original-URL read whole')
    t.match(lastLine(), { door: 'nginx', path: '/user/me' })
    const endpoint = await ask('/nginx', { 'x-original-method': 'POST', 'x-original-uri': '/oauth/token' })
    t.equal(endpoint.status, 404, 'the gateway\'s own endpoint: not decided here')
    t.match(endpoint.json().detail, /public listener/)
    t.equal((await ask('/elsewhere', {})).status, 404, 'a path that is no door: 404')
  })

  t.test('metrics by front door', async t => {
    const metrics = await scrape(gw.adminUrl as string)
    t.ok((metrics.value('gatehouse_decisions_total', { door: 'traefik', decision: 'allow' }) ?? 0) >= 1)
    t.ok((metrics.value('gatehouse_decisions_total', { door: 'traefik', decision: 'deny' }) ?? 0) >= 2)
    t.ok((metrics.value('gatehouse_decisions_total', { door: 'envoy', decision: 'allow' }) ?? 0) >= 2)
    t.ok((metrics.value('gatehouse_decision_duration_seconds_count', { door: 'nginx' }) ?? 0) >= 1)
  })
})

t.test('a page load without a session: nginx gets 401 with Location, Traefik and Envoy the 302', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const yaml = oidcGatewayYaml({ port, provider: op, upstream: await startEcho(t) })
  const gw = await startTestGateway(t, yaml.replace('  admin: 127.0.0.1:0\n', '  admin: 127.0.0.1:0\n  decisions: 127.0.0.1:0\n'))
  const api = gw.decisionsUrl as string
  const page = { accept: 'text/html', 'x-forwarded-host': `127.0.0.1:${port}`, 'x-forwarded-proto': 'http' }

  const nginx = await call(`${api}/nginx`, { headers: { ...page, 'x-original-method': 'GET', 'x-original-uri': '/app/orders' } })
  t.equal(nginx.status, 401, 'nginx: 401, for error_page 401')
  t.ok(String(nginx.headers.location).startsWith(`${op.url}/`), 'Location names the provider\'s login')
  t.match(new URL(String(nginx.headers.location)).searchParams.get('redirect_uri'), `${origin}/oauth2/callback`, 'back to the public origin')
  t.ok(nginx.headers['set-cookie'], 'the login state cookie to pass on')

  const traefik = await call(`${api}/traefik`, { headers: { ...page, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/app/orders' } })
  t.equal(traefik.status, 302, 'Traefik: the redirect itself')
  t.ok(String(traefik.headers.location).startsWith(`${op.url}/`))
  const envoy = await call(`${api}/envoy/app/orders`, { headers: page })
  t.equal(envoy.status, 302, 'Envoy: the redirect itself')

  const xhr = await call(`${api}/traefik`, { headers: { accept: 'application/json', 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/app/orders' } })
  t.equal(xhr.status, 401, 'not a page load: 401')
  t.notOk(xhr.headers.location)
  t.match(gw.logs.filter(l => l.msg === 'decision').map(l => l.decision), ['login', 'login', 'login', 'deny'])
})
