import t from 'tap'
import fc from 'fast-check'
import { SignJWT } from 'jose'
import { createGateway, type Gateway, type RuntimeRoute } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide } from '../../src/decision/decide.js'
import { nodeHeaders } from '../../src/decision/request.js'
import { cacheHeaders, doorAnswer, frontDoorOf, originalRequest } from '../../src/decision-api/front-door.js'
import { GatehouseError } from '../../src/errors.js'
import { explainRequest } from '../../src/explain/explain.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { KEYS, clientsYaml } from '../helpers/gateway.js'

const SECRET = 'a-test-hmac-secret-of-at-least-32-bytes!!'
const clock = manualClock()

async function token (sub: string, ttl = 600): Promise<string> {
  const now = Math.floor(clock() / 1000)
  return await new SignJWT({ iss: 'https://idp.test/', aud: 'api', sub, iat: now, exp: now + ttl })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET))
}

async function gatewayOf (t: { teardown: (fn: () => Promise<void>) => void }, ttl: string): Promise<Gateway> {
  const gateway = await createGateway(configOf(`server: { decisions: 127.0.0.1:0, decisionsCacheTtl: ${ttl} }
${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  idp: { type: jwt, issuer: "https://idp.test/", audience: api, secret: "${SECRET}" }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /public/*, upstream: web, policy: public }
  - { match: /both/*, upstream: web, policy: client+user, client: [appKey], user: [idp] }
  - { match: /limited/*, upstream: web, policy: user, user: [idp], rateLimit: { max: 5, window: 1m } }
`), createLogger('silent'), { clock })
  t.teardown(async () => await gateway.close())
  return gateway
}

const routeOf = (gateway: Gateway, match: string): RuntimeRoute => gateway.routes.find(r => r.match === match) as RuntimeRoute
const pairs = (flat: readonly string[]): Record<string, string> => Object.fromEntries(flat.flatMap((v, i) => i % 2 === 0 ? [[v, flat[i + 1] as string]] : []))

t.test('frontDoorOf: the three doors, Envoy\'s target after its prefix, nothing else', async t => {
  t.same(frontDoorOf('/nginx'), { door: 'nginx', target: undefined })
  t.same(frontDoorOf('/traefik?x=1'), { door: 'traefik', target: undefined })
  t.same(frontDoorOf('/envoy/api/x?y=1'), { door: 'envoy', target: '/api/x?y=1' })
  t.same(frontDoorOf('/envoy'), { door: 'envoy', target: '/' })
  t.same(frontDoorOf('/envoy?q'), { door: 'envoy', target: '/?q' })
  for (const other of ['/', '/nginx/', '/envoyx/a', '/Traefik', '/nginx/../traefik']) t.equal(frontDoorOf(other), undefined, other)
})

t.test('originalRequest: the proxy\'s own headers describe the request and are never the client\'s', async t => {
  const raw = [
    'Host',
    'gatehouse:9191',
    'X-Original-Method',
    'PUT',
    'X-Original-URI',
    '/a/b?c=1',
    'X-Real-IP',
    '198.51.100.7',
    'X-Forwarded-For',
    '203.0.113.1',
    'X-Forwarded-Proto',
    'https',
    'X-Forwarded-Host',
    'app.example',
    'X-Gatehouse-Decisions-Token',
    'secret',
    'Authorization',
    'Bearer abc',
    'Remote-User',
    'mallory'
  ]
  const r = originalRequest('nginx', 'GET', undefined, nodeHeaders(raw), '127.0.0.1')
  t.match(r, { method: 'PUT', target: '/a/b?c=1', peer: { address: '198.51.100.7' }, tls: { encrypted: true } })
  t.equal(r.headers.host, 'app.example', 'X-Forwarded-Host is the host')
  t.equal(r.headers.authorization, 'Bearer abc', 'the client\'s credential stays')
  t.equal(r.headers['remote-user'], 'mallory', 'left for the decision to strip')
  for (const hop of [
    'x-original-method',
    'x-original-uri',
    'x-real-ip',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'x-gatehouse-decisions-token'
  ]) {
    t.notOk(hop in r.headers, `${hop} is the proxy's`)
  }

  const traefikLines = ['X-Forwarded-Method', 'POST', 'X-Forwarded-Uri', '/x', 'X-Forwarded-For', '10.0.0.1, 192.0.2.5', 'X-Forwarded-Proto', 'http']
  const traefik = originalRequest('traefik', 'GET', undefined, nodeHeaders(traefikLines), '127.0.0.1')
  t.match(
    traefik,
    { method: 'POST', target: '/x', peer: { address: '192.0.2.5' }, tls: { encrypted: false } },
    'the last X-Forwarded-For entry: the one the proxy appended'
  )
  const envoy = originalRequest('envoy', 'DELETE', '/y', nodeHeaders(['X-Real-IP', '6.6.6.6', 'X-Forwarded-For', '192.0.2.9']), '127.0.0.1')
  t.match(envoy, { method: 'DELETE', target: '/y', peer: { address: '192.0.2.9' } }, 'Envoy: X-Real-IP is whatever the client sent, not read')
  const ingressLines = ['X-Original-Method', 'GET', 'X-Original-URL', 'https://shop.example/p?q=1']
  const ingress = originalRequest('nginx', 'GET', undefined, nodeHeaders(ingressLines), '10.1.1.1')
  t.match(ingress, { target: '/p?q=1', peer: { address: '10.1.1.1' }, tls: { encrypted: true } })
  t.equal(ingress.headers.host, 'shop.example')

  for (const [door, lines, words] of [
    ['nginx', ['X-Original-URI', '/a'], /X-Original-Method/],
    ['nginx', ['X-Original-Method', 'GET'], /X-Original-URI/],
    ['nginx', ['X-Original-Method', 'GET', 'X-Original-URL', 'not a url'], /not a URL/],
    ['traefik', ['X-Forwarded-Method', 'GET'], /X-Forwarded-Uri/],
    ['nginx', ['X-Original-Method', 'GET', 'X-Original-URI', '/a', 'X-Real-IP', 'evil'], /not an IP address/]
  ] as const) {
    let thrown: unknown
    try {
      originalRequest(door, 'GET', undefined, nodeHeaders(lines), '127.0.0.1')
    } catch (err) {
      thrown = err
    }
    t.ok(thrown instanceof GatehouseError && thrown.code === 'bad_request' && words.test(thrown.detail), `bad_request: ${String(words)}`)
  }
})

t.test('originalRequest: no header name the proxy could add is left among the client\'s', async t => {
  const hops = ['X-Original-Method', 'X-Original-URI', 'X-Original-URL', 'X-Forwarded-Method', 'X-Forwarded-Uri', 'X-Forwarded-Host', 'X-Forwarded-Proto',
    'X-Forwarded-For', 'X-Real-IP', 'Forwarded', 'X-Gatehouse-Decisions-Token']
  t.doesNotThrow(() => fc.assert(fc.property(fc.constantFrom(...hops), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), (name, upper) => {
    const spelled = [...name].map((c, i) => upper[i] === true ? c.toUpperCase() : c.toLowerCase()).join('')
    const r = originalRequest('envoy', 'GET', '/', nodeHeaders([spelled, '192.0.2.1']), '127.0.0.1')
    return !(name.toLowerCase() in r.headers)
  })))
})

t.test('cacheHeaders: no-store unless the TTL is set and the decision may be reused; never past the credential', async t => {
  const gateway = await gatewayOf(t, '30s')
  const both = routeOf(gateway, '/both/*')
  const now = clock()
  t.same(cacheHeaders('traefik', both, undefined, 0, now), ['cache-control', 'no-store'], 'TTL 0')
  t.same(
    cacheHeaders('nginx', routeOf(gateway, '/limited/*'), undefined, 30_000, now),
    ['x-accel-expires', '0', 'cache-control', 'no-store'],
    'a rate-limited route'
  )
  const h = pairs(cacheHeaders('traefik', both, { exp: now / 1000 + 600 }, 30_000, now))
  t.equal(h['cache-control'], 'private, max-age=30')
  t.same(h.vary?.split(', ').sort(), [
    'authorization', 'sec-websocket-key', 'x-api-key', 'x-forwarded-host', 'x-forwarded-method', 'x-forwarded-proto', 'x-forwarded-uri'
  ])
  t.same(cacheHeaders('traefik', both, { exp: now / 1000 + 600 }, 30_000, now, true), ['cache-control', 'no-store'], 'a WebSocket handshake: never reused')
  t.equal(pairs(cacheHeaders('envoy', both, { exp: now / 1000 + 12.5 }, 30_000, now))['cache-control'], 'private, max-age=12', 'expiring in 12.5s: 12')
  t.same(cacheHeaders('envoy', both, { exp: now / 1000 + 0.5 }, 30_000, now), ['cache-control', 'no-store'], 'expiring within the second: not reused')
  fc.assert(fc.property(fc.integer({ min: 0, max: 86_400_000 }), fc.integer({ min: -100, max: 100_000 }), (ttlMs, expIn) => {
    const cc = pairs(cacheHeaders('traefik', both, { exp: now / 1000 + expIn }, ttlMs, now))['cache-control'] as string
    if (cc === 'no-store') return true
    const maxAge = Number(/max-age=(\d+)$/.exec(cc)?.[1])
    return maxAge >= 1 && maxAge * 1000 <= ttlMs && maxAge <= expIn
  }))
})

t.test('doorAnswer: the identity told as response headers; Envoy told which client headers to drop', async t => {
  const gateway = await gatewayOf(t, '0s')
  const raw = [
    'X-API-Key',
    KEYS.android,
    'Authorization',
    `Bearer ${await token('alice')}`,
    'Remote-User',
    'mallory',
    'remote_client',
    'x',
    'X-Remote-Thing',
    'y'
  ]
  const request = originalRequest('envoy', 'GET', '/both/1', nodeHeaders(raw), '127.0.0.1')
  const outcome = await decide(gateway, request, { requestId: 'r1' })
  const answer = doorAnswer(gateway, 'envoy', request, outcome, 'r1', clock())
  const h = pairs(answer.headers)
  t.equal(answer.status, 200)
  t.match(h, { 'remote-user': 'alice', 'remote-client': 'android', 'remote-auth': 'appKey,idp', 'cache-control': 'no-store', 'x-request-id': 'r1' })
  t.same(h['x-envoy-auth-headers-to-remove']?.split(',').sort(), ['remote_client'], 'the client-sent ones the decision does not set')
  t.notOk('authorization' in h, 'no credential comes back')

  const nginxAnswer = doorAnswer(gateway, 'nginx', request, outcome, 'r1', clock())
  t.notOk(pairs(nginxAnswer.headers)['x-envoy-auth-headers-to-remove'], 'for Envoy only')
})

t.test('explain shows what the decision API answers each proxy', async t => {
  const gateway = await gatewayOf(t, '30s')
  const headers = { 'x-api-key': KEYS.android, authorization: `Bearer ${await token('alice')}` }
  const allowed = await explainRequest(gateway, { method: 'GET', url: '/both/1', headers, ip: '127.0.0.1' })
  t.same(allowed.decisionApi, { nginx: 200, traefik: 200, envoy: 200, cacheControl: 'private, max-age=30' })
  const refused = await explainRequest(gateway, { method: 'GET', url: '/both/1', headers: {}, ip: '127.0.0.1' })
  t.same(refused.decisionApi, { nginx: 401, traefik: 401, envoy: 401, cacheControl: 'no-store' })
  const limited = await explainRequest(gateway, { method: 'GET', url: '/limited/1', headers: { authorization: headers.authorization }, ip: '127.0.0.1' })
  t.equal(limited.decisionApi?.cacheControl, 'no-store', 'a rate-limited route is never reused')
})
