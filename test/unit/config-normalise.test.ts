import t from 'tap'
import { ConfigError, formatPath } from '../../src/config/load.js'
import { MINIMAL, configOf } from '../helpers/config.js'

const HASH = `sha256:${'a'.repeat(64)}`

/** The issues of a config that does not load, as `file:line:col path: message` without the file. */
function issuesOf (yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    configOf(yaml, env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return err.issues.map(i => `${i.line}:${i.col} ${i.path}: ${i.message}`)
  }
  throw new Error('the config loaded')
}

t.test('every default is filled in once, at load', async t => {
  const c = configOf(MINIMAL)
  t.same(c.server.listen, { host: '0.0.0.0', port: 8080 })
  t.same(c.server.admin, { host: '127.0.0.1', port: 9090 })
  t.match(c.server, {
    adminToken: undefined,
    workers: 1,
    trustProxy: false,
    bodyLimit: 10 * 1024 * 1024,
    bodyTimeoutMs: 30_000,
    requestTimeoutMs: 300_000,
    drainTimeoutMs: 30_000,
    logLevel: 'info',
    watch: false,
    tls: undefined
  })
  t.same(c.server.routing, { caseSensitive: false, ignoreTrailingSlash: true, allowSemicolons: false, maxParamLength: 1000 })
  t.equal(c.server.sendTimeoutMs, 60_000)
  t.same(c.server.buffer, { requestBody: 1024 * 1024, response: 1024 * 1024, total: 256 * 1024 * 1024 })
  t.same(c.cache, { redis: undefined, localMaxEntries: 100_000, localMaxSize: 16 * 1024 * 1024, integrityKey: undefined })
  t.same(c.identity.headers, { user: 'Remote-User', client: 'Remote-Client', scopes: 'Remote-Scopes', auth: 'Remote-Auth' })
  t.same(c.identity.strip, ['Remote-*'])
  t.equal(c.identity.assertion, undefined)
  t.same(c.tokens, { issuer: 'http://localhost:8080', ttlMs: 900_000, signingKeys: undefined })
  t.match(c.upstreams.get('app'), { name: 'app', url: 'http://127.0.0.1:9', origin: 'http://127.0.0.1:9', timeoutMs: 30_000, connections: 128 })
  const route = c.routes[0]
  t.match(route, {
    index: 0,
    match: '/*',
    urls: ['/*'],
    upstream: 'app',
    client: [],
    user: [],
    scopes: [],
    requireClaims: [],
    clients: undefined,
    bindUserToClient: false,
    rateLimit: undefined,
    forwardCredentials: false,
    websocket: undefined
  })
  t.equal(route?.methods.length, Object.keys(route?.policy ?? {}).length, 'one policy per method')
  t.ok(Object.values(route?.policy ?? {}).every(p => p === 'public'))
  t.match(c.hash, /^[0-9a-f]{64}$/)
})

t.test('clients, routes and their shorthands are normalised', async t => {
  const c = configOf(`server: { admin: false, listen: "127.0.0.1:7000" }
clients:
  - id: android
    apiKeys: [{ hash: "${HASH}", expires: 2030-06-30 }]
    scopes: [orders:read]
    rateLimit: { max: 10, window: 1m }
authenticators:
  keys: { type: apiKey }
  idp: { type: jwt, issuer: "https://idp", audience: orders, secret: "${'s'.repeat(32)}" }
upstreams:
  app: { url: "http://127.0.0.1:9/base/", timeout: 5s }
routes:
  - match: /orders/:id
    upstream: app
    client: [keys]
    user: [idp]
    policy: { GET: client, "*": client+user }
    methods: [GET, POST]
    require: { claims: { role: admin, tier: [1, 2] } }
    clients: [android]
    rateLimit: { max: 5, window: 10s }
  - { match: /ws/*, upstream: app, user: [idp], policy: user, websocket: true }
`)
  t.same(c.server.admin, undefined, 'admin: false turns the admin listener off')
  t.equal(c.tokens.issuer, 'http://127.0.0.1:7000')
  const android = c.clients.get('android')
  t.match(android, { name: 'android', scopes: ['orders:read'], rateLimit: { max: 10, windowMs: 60_000 }, expiresAt: null, disabled: false })
  t.same(android?.apiKeys, [{ hash: 'a'.repeat(64), expiresAt: Date.UTC(2030, 5, 30, 23, 59, 59, 999) }])
  t.equal(c.upstreams.get('app')?.url, 'http://127.0.0.1:9/base', 'the trailing slash goes')
  t.equal(c.upstreams.get('app')?.timeoutMs, 5000)
  const [orders, ws] = c.routes
  t.same(orders?.methods, ['GET', 'POST'])
  t.same(orders?.policy, { GET: 'client', POST: 'client+user' })
  t.same(orders?.requireClaims, [['role', ['admin']], ['tier', [1, 2]]])
  t.same([...(orders?.clients ?? [])], ['android'])
  t.same(orders?.rateLimit, { max: 5, windowMs: 10_000, by: 'client', onRedisError: 'open' }, 'counted by client when the route needs one')
  t.same(ws?.websocket, { maxPayload: 1024 * 1024, idleTimeoutMs: 0, closeOnExpiry: false })
  t.same(ws?.urls, ['/ws', '/ws/*'])
  t.equal(c.authenticators.get('idp')?.principal, 'user')
})

t.test('${VAR} and ${VAR:-default} are expanded; a plain scalar is typed after expansion', async t => {
  const c = configOf(`server:
  listen: "127.0.0.1:\${PORT}"
  workers: \${WORKERS:-2}
${MINIMAL}`, { PORT: '7001' })
  t.equal(c.server.listen.port, 7001)
  t.equal(c.server.workers, 2)
  t.match(issuesOf(`server:\n  listen: "\${NOPE}"\n${MINIMAL}`), [/^2:11 server.listen: environment variable NOPE \(or NOPE_FILE\) is not set/])
})

t.test('each issue names line, column and key; all are reported at once', async t => {
  t.same(issuesOf(`clients:
  - id: a
    apiKeys: [{ hash: "${HASH}" }]
  - id: a
    apiKeys: [{ hash: "${HASH}" }]
upstreams:
  app: { url: "http://127.0.0.1:9?x=1" }
routes:
  - { match: "/a//b", upstream: app, policy: public }
  - { match: /b, upstream: nope, policy: public }
  - { match: /c, upstream: app, policy: client }
  - { match: /d, upstream: app, policy: public, clients: [ghost] }
`), [
    '4:9 clients[1].id: duplicate client id "a"',
    '5:23 clients[1].apiKeys[0].hash: this key hash is already used by client "a"',
    '7:15 upstreams.app.url: an upstream URL has no query or fragment',
    '9:14 routes[0].match: empty segment (//) in pattern',
    '10:28 routes[1].upstream: unknown upstream "nope" (declared: app)',
    '11:41 routes[2].policy: requires a client but the route lists no client authenticators (add client: [...])',
    '12:59 routes[3].clients[0]: unknown client "ghost"'
  ])
})

t.test('route rules that cannot work are refused at load', async t => {
  const auth = `authenticators:
  keys: { type: apiKey }
  idp: { type: jwt, issuer: "https://idp", audience: orders, secret: "${'s'.repeat(32)}" }
upstreams:
  app: { url: "http://127.0.0.1:9" }
`
  t.match(issuesOf(`${auth}routes:\n  - { match: /a, upstream: app, client: [idp], policy: client }\n`), [
    /authenticator "idp" \(jwt\) proves a user, not a client/
  ])
  t.match(issuesOf(`${auth}routes:\n  - { match: /a, upstream: app, client: [nope], policy: client }\n`), [
    /unknown authenticator "nope" \(declared: keys, idp\)/
  ])
  t.match(issuesOf(`${auth}routes:\n  - { match: /a, upstream: app, client: [keys], policy: { GET: client }, methods: [GET, POST] }\n`), [
    /method POST is listed in methods but has no policy/
  ])
  t.match(issuesOf(`${auth}routes:\n  - { match: /a, upstream: app, client: [keys], policy: client, bindUserToClient: true }\n`), [
    /bindUserToClient: needs both client and user authenticators/
  ])
  t.match(issuesOf(`${auth}routes:\n  - { match: /a, upstream: app, policy: public, methods: [POST], websocket: true }\n`), [/a WebSocket upgrade is a GET/])
  t.match(issuesOf(`${auth}routes:\n  - { match: /oauth/token, upstream: app, policy: public }\n`), [/served by the gateway's token endpoints/])
  t.match(
    issuesOf(`${auth}routes:\n  - { match: /A/:x, upstream: app, policy: public }\n  - { match: /a/:y/, upstream: app, policy: public }\n`),
    [/routes\[1\]\.match: duplicate route: GET \/a\/:y\/ is already served by routes\[0\] \(\/A\/:x\)/],
    'case and a trailing slash folded as the router does'
  )
})

t.test('cache, server and authenticator settings out of bounds', async t => {
  t.match(issuesOf(`cache: { local: { maxSize: 1KiB }, integrityKey: short, redis: "http://x" }\n${MINIMAL}`), [
    /cache\.redis: must be a redis:\/\/ or rediss:\/\/ URL/,
    /cache\.local\.maxSize: must be at least 64KiB/,
    /cache\.integrityKey: at least 32 characters/
  ])
  t.match(issuesOf(`server: { adminToken: short, bodyTimeout: 0s }\n${MINIMAL}`), [
    /server\.adminToken: at least 16 characters/,
    /server\.bodyTimeout: must be more than 0/
  ])
  t.match(issuesOf(`server: { sendTimeout: 0s, buffer: { requestBody: 2MiB, total: 512KiB } }\n${MINIMAL}`), [
    /server\.sendTimeout: must be more than 0/,
    /server\.buffer\.requestBody: buffer\.requestBody \(2097152 bytes\) must not be more than buffer\.total/,
    /server\.buffer\.total: buffer\.response/
  ])
  t.match(issuesOf(`server: { buffer: { response: lots } }\n${MINIMAL}`), [/server\.buffer\.response: must be a size/])
  t.match(
    issuesOf(
      `authenticators:\n  idp: { type: jwt, issuer: "https://idp", audience: orders, jwksUri: "https://idp/jwks", secret: "${'s'.repeat(32)}" }\n${MINIMAL}`
    ),
    [/a jwt authenticator takes one of jwksUri, publicKey or secret, or none to find the JWKS from its issuer \(has jwksUri, secret\)/]
  )
  t.match(issuesOf(`authenticators:\n  idp: { type: jwt, issuer: "idp", audience: orders }\n${MINIMAL}`), [
    /authenticators\.idp\.issuer: with no jwksUri, publicKey or secret the JWKS is found from the issuer/
  ])
  t.match(issuesOf(`authenticators:\n  oauth: { type: introspection, endpoint: "ftp://x", clientId: a, clientSecret: b }\n${MINIMAL}`), [
    /endpoint: must be an http:\/\/ or https:\/\/ URL/
  ])
  t.match(issuesOf(`authenticators:\n  m: { type: mtls }\n${MINIMAL}`), [/an mtls authenticator needs server\.tls with clientCa/])
  t.match(issuesOf(`authenticators:\n  x: { type: magic }\n${MINIMAL}`), [/type must be one of/])
  t.match(issuesOf(`authenticators:\n  k: { type: apiKey, colour: red }\n${MINIMAL}`), [/unknown key for a apiKey authenticator/])
  t.same(configOf(`cache: { redis: "" }\n${MINIMAL}`).cache.redis, undefined, 'an empty redis URL (an unset ${VAR:-}) means no Redis')
  t.same(configOf(`cache: { redis: { cluster: ["redis://a:1"] } }\n${MINIMAL}`).cache.redis, { cluster: ['redis://a:1'] })
})

t.test('a text that is not a config mapping', async t => {
  t.match(issuesOf('- a\n- b\n'), [/the config must be a mapping with upstreams and routes/])
  t.match(issuesOf('a: [\n'), [/YAML:/])
  t.match(issuesOf('a: 1\na: 2\n'), [/YAML:/])
})

t.test('key paths read as written', async t => {
  t.equal(formatPath(['routes', 2, 'policy']), 'routes[2].policy')
  t.equal(formatPath([]), '')
})
