import t from 'tap'
import { formatWarning, parseConfig } from '../../src/config/load.js'

const FILE = '/etc/gatehouse/gw.yaml'

function warningsOf (yaml: string): string[] {
  return parseConfig(yaml, FILE, {}).warnings.map(formatWarning)
}

const AUTH = `upstreams:
  web: { url: "http://127.0.0.1:8000" }
  other: { url: "http://127.0.0.1:8001" }
clients:
  - { id: app, apiKeys: [{ hash: "sha256:${'a'.repeat(64)}" }] }
authenticators:
  appKey: { type: apiKey }
  idp: { type: jwt, issuer: "https://idp.example/", secret: "${'s'.repeat(32)}", audience: api }
`

t.test('a clean config has no warnings', async t => {
  t.same(warningsOf(`${AUTH}routes:
  - match: /api/*
    upstream: web
    policy: user
    user: [idp]
    scopes: [orders:read]
`), [])
})

t.test('scopes on a per-method policy: its public methods then need a user', async t => {
  const lines = warningsOf(`${AUTH}routes:
  - match: /api/articles/*
    upstream: web
    policy: { GET: public, HEAD: public, "*": user }
    user: [idp]
    scopes: [articles:write]
`)
  t.equal(lines.length, 1)
  t.match(
    lines[0],
    new RegExp(/^\/etc\/gatehouse\/gw\.yaml:14:13 warning: routes\[0\]\.scopes: scopes apply to every method of the route, /.source +
      /so GET \(public\), HEAD \(public\) then need a user holding articles:write/.source)
  )
})

t.test('require.claims and clients on methods that leave the principal optional', async t => {
  const lines = warningsOf(`${AUTH}routes:
  - match: /api/*
    upstream: web
    policy: { GET: client, "*": client+user }
    client: [appKey]
    user: [idp]
    require: { claims: { role: admin } }
  - match: /b/*
    upstream: other
    policy: { GET: public, POST: client }
    client: [appKey]
    clients: [app]
`)
  t.equal(lines.length, 2)
  t.match(lines[0], /:15:14 warning: routes\[0\]\.require: require\.claims applies to every method of the route, so GET \(client\) then need a user/)
  t.match(
    lines[1],
    /:20:14 warning: routes\[1\]\.clients: the clients allow-list applies to every method of the route, so GET \(public\) then need one of those clients/
  )
})

t.test('a jwt authenticator with audience: false', async t => {
  const lines = warningsOf(`upstreams:
  web: { url: "http://127.0.0.1:8000" }
authenticators:
  idp: { type: jwt, issuer: "https://idp.example/", secret: "${'s'.repeat(32)}", audience: false }
routes:
  - { match: /a/*, upstream: web, policy: user, user: [idp] }
`)
  t.equal(lines.length, 1)
  t.match(lines[0], /:4:\d+ warning: authenticators\.idp\.audience: audience: false accepts tokens the identity provider issued for any API/)
})

t.test('trustProxy: true on a listener beyond loopback; not on loopback, not with a list', async t => {
  const routes = 'upstreams:\n  web: { url: "http://127.0.0.1:8000" }\nroutes:\n  - { match: /a/*, upstream: web, policy: public }\n'
  const wide = warningsOf(`server:\n  listen: 0.0.0.0:8080\n  trustProxy: true\n${routes}`)
  t.equal(wide.length, 1)
  t.match(wide[0], /:3:15 warning: server\.trustProxy: trustProxy: true believes X-Forwarded-For from every peer, and the gateway listens on 0\.0\.0\.0/)
  t.same(warningsOf(`server:\n  listen: 127.0.0.1:8080\n  trustProxy: true\n${routes}`), [])
  t.same(warningsOf(`server:\n  listen: 0.0.0.0:8080\n  trustProxy: 10.0.0.0/8\n${routes}`), [])
})

t.test('an admin listener beyond loopback without adminToken', async t => {
  const routes = 'upstreams:\n  web: { url: "http://127.0.0.1:8000" }\nroutes:\n  - { match: /a/*, upstream: web, policy: public }\n'
  const open = warningsOf(`server:\n  admin: 0.0.0.0:9090\n${routes}`)
  t.equal(open.length, 1)
  t.match(open[0], /:2:10 warning: server\.admin: the admin listener is on 0\.0\.0\.0, beyond loopback, without server\.adminToken/)
  t.same(warningsOf(`server:\n  admin: 0.0.0.0:9090\n  adminToken: ${'t'.repeat(32)}\n${routes}`), [])
  t.same(warningsOf(routes), [], 'the default admin listener is on loopback')
})

t.test('a decision API beyond loopback without decisionsToken', async t => {
  const routes = 'upstreams:\n  web: { url: "http://127.0.0.1:8000" }\nroutes:\n  - { match: /a/*, upstream: web, policy: public }\n'
  const open = warningsOf(`server:\n  decisions: 0.0.0.0:9191\n${routes}`)
  t.equal(open.length, 1)
  t.match(open[0], /:2:14 warning: server\.decisions: the decision API is on 0\.0\.0\.0, beyond loopback, without server\.decisionsToken/)
  t.same(warningsOf(`server:\n  decisions: 0.0.0.0:9191\n  decisionsToken: ${'t'.repeat(32)}\n${routes}`), [])
  t.same(warningsOf(`server:\n  decisions: 127.0.0.1:9191\n${routes}`), [], 'on loopback')
})

t.test('two routes that shadow each other; one pattern inside another is an override, not a warning', async t => {
  const lines = warningsOf(`${AUTH}routes:
  - match: /api/:version/orders
    upstream: web
    policy: user
    user: [idp]
  - match: /api/v1/*
    upstream: web
    policy: user
    user: [idp]
  - match: /api/v1/admin/*
    upstream: web
    policy: user
    user: [idp]
`)
  t.equal(lines.length, 1)
  t.match(
    lines[0],
    new RegExp(/:14:12 warning: routes\[1\]\.match: routes\[0\] \(\/api\/:version\/orders\) and routes\[1\] \(\/api\/v1\/\*\) both match requests /.source +
      /like GET \/api\/v1\/orders; the router gives them to routes\[1\] \(\/api\/v1\/\*\), so routes\[0\]'s policy does not apply there/.source)
  )
  t.same(warningsOf(`${AUTH}routes:
  - { match: /api/:version/orders, upstream: web, policy: user, user: [idp], methods: [POST] }
  - { match: /api/v1/*, upstream: web, policy: user, user: [idp], methods: [GET] }
`), [], 'no method in common: no request reaches both')
})

t.test('a public route on an upstream other routes protect is a hint', async t => {
  const lines = warningsOf(`${AUTH}routes:
  - { match: /api/public/*, upstream: web, policy: public }
  - { match: /api/*, upstream: web, policy: user, user: [idp] }
  - { match: /static/*, upstream: other, policy: public }
`)
  t.equal(lines.length, 1)
  t.match(lines[0], /:10:\d+ hint: routes\[0\]\.policy: a public route to upstream web, which routes\[1\] \(\/api\/\*\) protect/)
})

t.test('a browser login without server.publicOrigins: warned, as its redirect_uri and CSRF origin follow the Host sent', async t => {
  const oidc = `upstreams:
  web: { url: "http://127.0.0.1:8000" }
authenticators:
  browser: { type: oidc, issuer: "https://idp.example", clientId: web, clientSecret: "${'s'.repeat(32)}", session: { key: "${'k'.repeat(32)}" } }
routes:
  - { match: /app/*, upstream: web, policy: user, user: [browser] }
`
  const warned = warningsOf(oidc)
  t.equal(warned.length, 1)
  t.match(warned[0], /warning: server\.publicOrigins: the browser login \(browser\) builds its redirect_uri and CSRF origin from the Host/)
  t.same(warningsOf(`server:\n  publicOrigins: [https://app.example.com]\n${oidc}`), [], 'listed: no warning')
})

t.test('server.publicOrigins takes origins only, each error located', async t => {
  for (const bad of [
    'https://app.example.com/',
    'https://app.example.com/app',
    'https://user@app.example.com',
    'https://app.example.com?x=1',
    'ftp://app.example.com',
    'https://'
  ]) {
    t.throws(
      () => parseConfig(`server:\n  publicOrigins: ["${bad}"]\nupstreams:\n  web: { url: "http://127.0.0.1:8000" }\nroutes: []\n`, FILE, {}),
      { message: /gw\.yaml:2:\d+ server\.publicOrigins\[0\]|server\.publicOrigins/ },
      bad
    )
  }
  const ok = parseConfig(
    'server:\n  publicOrigins: ["HTTPS://App.Example.com:443", "http://127.0.0.1:8080"]\nupstreams:\n  web: { url: "http://127.0.0.1:8000" }\nroutes: []\n',
    FILE,
    {}
  )
  t.same(ok.server.publicOrigins, ['https://app.example.com', 'http://127.0.0.1:8080'], 'kept as URL.origin spells them')
})
