import t from 'tap'
import { SignJWT } from 'jose'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest, nodeHeaders, upgradeRequested, type RawRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { KEYS, clientsYaml } from '../helpers/gateway.js'

const SECRET = 'a-test-hmac-secret-of-at-least-32-bytes!!'
const clock = manualClock()

async function token (claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(clock() / 1000)
  return await new SignJWT({ iss: 'https://idp.test/', aud: 'orders-api', sub: 'alice', iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET))
}

async function gatewayOf (t: { teardown: (fn: () => Promise<void>) => void }, extra = ''): Promise<Gateway> {
  const gateway = await createGateway(configOf(`${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  idp: { type: jwt, issuer: "https://idp.test/", audience: orders-api, secret: "${SECRET}" }
identity:
  claims: { email: Remote-Email }
upstreams:
  orders: { url: "http://127.0.0.1:9/base" }
routes:
  - match: /api/public/*
    upstream: orders
    policy: public
  - match: /api/orders/*
    upstream: orders
    policy: client+user
    client: [appKey]
    user: [idp]
    scopes: [orders:read]
    rateLimit: { max: 2, window: 1m, by: user }
  - match: /ws/*
    upstream: orders
    policy: user
    user: [idp]
    websocket: {}
${extra}`), createLogger('silent'), { clock })
  t.teardown(async () => await gateway.close())
  return gateway
}

const ask = async (gateway: Gateway, r: Partial<RawRequest> & { target: string }, dryRun = true): Promise<Outcome> =>
  await decide(gateway, decisionRequest({ method: 'GET', rawHeaders: ['Host', 'gw.test'], ...r }), { dryRun })

const headerOf = (o: Outcome, name: string): string[] => {
  if (o.kind !== 'allow') return []
  const out: string[] = []
  for (let i = 0; i < o.headers.length; i += 2) if (o.headers[i] === name) out.push(o.headers[i + 1] as string)
  return out
}

t.test('repeated headers are joined as Node joins them', async t => {
  const h = nodeHeaders([
    'Authorization',
    'Bearer a',
    'authorization',
    'Bearer junk',
    'Cookie',
    'a=1',
    'cookie',
    'b=2',
    'X-A',
    '1',
    'x-a',
    '2',
    'Set-Cookie',
    's=1',
    'set-cookie',
    's=2',
    'Host',
    'one',
    'Host',
    'two'
  ])
  t.same(h, { authorization: 'Bearer a', cookie: 'a=1; b=2', 'x-a': '1, 2', 'set-cookie': ['s=1', 's=2'], host: 'one' })
})

t.test('an upgrade is Upgrade plus Connection: upgrade, as llhttp reads it', async t => {
  t.ok(upgradeRequested('GET', { upgrade: 'websocket', connection: 'keep-alive, Upgrade' }))
  t.notOk(upgradeRequested('GET', { upgrade: 'websocket' }), 'no Connection: upgrade: a plain request')
  t.notOk(upgradeRequested('GET', { connection: 'upgrade' }), 'no Upgrade: a plain request')
})

t.test('the router front: no route, an undecodable path, an ambiguous one, the gateway\'s own endpoints', async t => {
  const gateway = await gatewayOf(t)
  const none = await ask(gateway, { target: '/nowhere' })
  t.match(none, { kind: 'deny', stage: 'route', error: { status: 404, code: 'not_found' } })
  t.match(
    await ask(gateway, { target: '/api/admin%zz/x' }),
    { kind: 'deny', stage: 'route', error: { status: 400, code: 'bad_request' } },
    '%zz: 400 as the listener answers'
  )
  t.match(await ask(gateway, { target: '/api/public/../orders/1' }), { kind: 'deny', stage: 'guard', error: { code: 'ambiguous_path' } })
  t.match(
    await ask(gateway, { target: '%2Fapi/public/1' }),
    { kind: 'deny', stage: 'route', error: { status: 400, detail: 'the request is not well-formed HTTP' } },
    "a target Node's parser refuses"
  )
  t.match(await ask(gateway, { method: 'POST', target: '/oauth/token' }), { kind: 'endpoint', endpoint: 'token' })
})

t.test('allowed: the identity, the upstream path without consumed credentials, the headers the upstream gets', async t => {
  const gateway = await gatewayOf(t)
  const jwt = await token({ scope: 'orders:read', email: 'alice@example.com' })
  const o = await ask(gateway, {
    target: '/api/orders/7?x=1',
    rawHeaders: [
      'Host',
      'gw.test',
      'X-API-Key',
      KEYS.android,
      'Authorization',
      `Bearer ${jwt}`,
      'Remote-User',
      'mallory',
      'Connection',
      'close, X-Hop',
      'X-Hop',
      '1'
    ],
    peer: '198.51.100.7'
  })
  t.match(o, { kind: 'allow', path: '/api/orders/7?x=1', identity: { client: { id: 'android' }, user: { id: 'alice' } }, clientIp: '198.51.100.7' })
  t.same(headerOf(o, 'remote-user'), ['alice'], 'the client\'s Remote-User is replaced')
  t.same(headerOf(o, 'remote-email'), ['alice@example.com'])
  t.same(headerOf(o, 'authorization'), [], 'the credential is not forwarded')
  t.same(headerOf(o, 'x-api-key'), [])
  t.same(headerOf(o, 'x-hop'), [], 'a header Connection lists is hop-by-hop')
  t.same(headerOf(o, 'host'), ['127.0.0.1:9'])
  t.same(headerOf(o, 'x-forwarded-for'), ['198.51.100.7'])
  t.same(headerOf(o, 'x-forwarded-proto'), ['http'])
  t.same(
    headerOf(await ask(gateway, { target: '/api/public/1', tls: { encrypted: true, authorized: false } }), 'x-forwarded-proto'),
    ['https'],
    'TLS comes from the connection'
  )
})

t.test('a valid Authorization and a junk one: Node keeps the first, so the request is allowed', async t => {
  const gateway = await gatewayOf(t)
  const jwt = await token({ scope: 'orders:read' })
  const o = await ask(gateway, {
    target: '/api/orders/1',
    rawHeaders: ['Host', 'gw.test', 'X-API-Key', KEYS.android, 'Authorization', `Bearer ${jwt}`, 'Authorization', 'Bearer junk']
  })
  t.equal(o.kind, 'allow')
})

t.test('a refusal after authentication names who was found', async t => {
  const gateway = await gatewayOf(t)
  const o = await ask(gateway, {
    target: '/api/orders/1',
    rawHeaders: ['Host', 'gw.test', 'X-API-Key', KEYS.android, 'Authorization', `Bearer ${await token({ scope: 'profile' })}`]
  })
  t.match(o, {
    kind: 'deny',
    stage: 'authorize',
    error: { status: 403, code: 'insufficient_scope' },
    identity: { client: { id: 'android' }, user: { id: 'alice', scopes: ['profile'] } }
  })
  const missing = await ask(gateway, { target: '/api/orders/1' })
  t.match(missing, { kind: 'deny', stage: 'authenticate', error: { status: 401, code: 'missing_credentials' }, identity: undefined })
  t.ok(missing.kind === 'deny' && (missing.error.challenges?.length ?? 0) > 0, 'with its challenges')
})

t.test('WebSocket upgrades: checked at the guard, before any credential', async t => {
  const gateway = await gatewayOf(t)
  const jwt = await token({})
  const upgrade = ['Host', 'gw.test', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Version', '13', 'Authorization', `Bearer ${jwt}`]
  const key = ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']
  t.match(await ask(gateway, { target: '/ws/1', rawHeaders: [...upgrade, ...key] }), { kind: 'allow', webSocket: true })
  t.match(await ask(gateway, { target: '/ws/1', rawHeaders: upgrade }), {
    kind: 'deny',
    stage: 'guard',
    error: { status: 400, detail: 'missing or malformed Sec-WebSocket-Key' }
  })
  t.match(
    await ask(gateway, { target: '/ws/1', rawHeaders: ['Host', 'gw.test', 'Connection', 'Upgrade', 'Upgrade', 'websocket', ...key] }),
    { kind: 'deny', stage: 'guard', error: { status: 400 } },
    'no version'
  )
  t.match(
    await ask(gateway, { target: '/api/public/1', rawHeaders: [...upgrade, ...key] }),
    { kind: 'deny', stage: 'guard', error: { status: 404 } },
    'a route that carries no WebSockets'
  )
  t.match(
    await ask(gateway, { target: '/api/public/1', rawHeaders: ['Host', 'gw.test', 'Upgrade', 'websocket'] }),
    { kind: 'allow', webSocket: false },
    'Upgrade without Connection: upgrade is a plain request'
  )
})

t.test('rate limit: counted only when not a dry run, with its headers; a refused request counts nothing', async t => {
  const gateway = await gatewayOf(t)
  const headers = ['Host', 'gw.test', 'X-API-Key', KEYS.android, 'Authorization', `Bearer ${await token({ scope: 'orders:read' })}`]
  for (let i = 0; i < 5; i++) {
    t.match(await ask(gateway, { target: '/api/orders/1', rawHeaders: headers }), { kind: 'allow', responseHeaders: [] }, 'a dry run spends nothing')
  }
  await ask(gateway, { target: '/api/orders/1', rawHeaders: ['Host', 'gw.test', 'X-API-Key', KEYS.android] }, false)
  t.match(await ask(gateway, { target: '/api/orders/1', rawHeaders: headers }, false), {
    kind: 'allow',
    responseHeaders: [
      ['ratelimit-limit', '2'],
      ['ratelimit-remaining', '1'],
      ['ratelimit-reset', '60']
    ]
  })
  t.match(await ask(gateway, { target: '/api/orders/1', rawHeaders: headers }, false), {
    kind: 'allow',
    responseHeaders: [
      ['ratelimit-limit', '2'],
      ['ratelimit-remaining', '0']
    ]
  })
  t.match(await ask(gateway, { target: '/api/orders/1', rawHeaders: headers }, false), {
    kind: 'deny',
    stage: 'rate-limit',
    error: { status: 429, headers: { 'retry-after': '60' } }
  })
  clock.advance(60_000)
  t.match(await ask(gateway, { target: '/api/orders/1', rawHeaders: headers }, false), { kind: 'allow' }, 'a new window on the injected clock')
})
