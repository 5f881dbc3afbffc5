import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { AUDIENCE, ISSUER, makeKey, sign, startJwksServer } from '../helpers/jwt.js'
import { explainRequest } from '../../src/explain/explain.js'

t.test('explain answers what the running gateway answers, for the same request', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const gw = await startTestGateway(t, `${TEST_SERVER}
${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  idp: { type: jwt, issuer: "${ISSUER}", audience: ${AUDIENCE}, jwksUri: "${jwks.url}" }
identity:
  claims: { email: Remote-Email }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/articles/*
    upstream: orders
    policy: { GET: public, HEAD: public, "*": user }
    user: [idp]
  - match: /api/orders/*
    upstream: orders
    policy: client+user
    client: [appKey]
    user: [idp]
    scopes: [orders:read]
    rateLimit: { max: 50, window: 1m, by: user }
  - match: /api/admin/*
    upstream: orders
    policy: user
    user: [idp]
    require: { claims: { role: admin } }
`)
  const reader = await sign(key, { scope: 'orders:read', email: 'alice@example.com' })
  const stranger = await sign(key, { sub: 'bob' })
  const expired = await sign(key, { exp: Math.floor(Date.now() / 1000) - 60 })

  const cases: Array<{ name: string, method: string, path: string, headers: Record<string, string>, allowed: boolean, code?: string }> = [
    { name: 'a public method on a per-method policy, anonymous', method: 'GET', path: '/api/articles/1', headers: {}, allowed: true },
    {
      name: "the same route's protected method without a token",
      method: 'POST',
      path: '/api/articles/1',
      headers: {},
      allowed: false,
      code: 'missing_credentials'
    },
    {
      name: 'client+user with the key and a real JWT holding the scope',
      method: 'GET',
      path: '/api/orders/7?x=1',
      headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${reader}`, 'remote-user': 'mallory' },
      allowed: true
    },
    {
      name: 'a real JWT without the scope',
      method: 'GET',
      path: '/api/orders/7',
      headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${stranger}` },
      allowed: false,
      code: 'insufficient_scope'
    },
    {
      name: 'an expired JWT',
      method: 'GET',
      path: '/api/orders/7',
      headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${expired}` },
      allowed: false,
      code: 'invalid_token'
    },
    {
      name: 'a wrong key on the public method',
      method: 'GET',
      path: '/api/articles/1',
      headers: { authorization: 'Bearer not-a-jwt' },
      allowed: false,
      code: 'invalid_token'
    },
    {
      name: 'a claim the route requires is missing',
      method: 'GET',
      path: '/api/admin/users',
      headers: { authorization: `Bearer ${reader}` },
      allowed: false,
      code: 'forbidden'
    },
    { name: 'no route', method: 'GET', path: '/internal/x', headers: {}, allowed: false, code: 'not_found' },
    { name: 'an ambiguous path', method: 'GET', path: '/api/articles//x', headers: {}, allowed: false, code: 'ambiguous_path' }
  ]
  for (const c of cases) {
    const e = await explainRequest(gw.gateway, { method: c.method, url: c.path, headers: c.headers, ip: '127.0.0.1' })
    const real = await call(`${gw.url}${c.path}`, { method: c.method, headers: c.headers, ...(c.method === 'POST' ? { body: '{}' } : {}) })
    t.equal(e.decision.allowed, c.allowed, `${c.name}: ${e.decision.reason}`)
    if (c.allowed) {
      t.equal(real.status, 200, `${c.name}: the gateway lets it through too`)
      const told = real.json<Echo>().headers
      for (const [name, value] of e.identity?.set ?? []) t.equal(told[name], value, `${c.name}: the upstream got ${name} as explained`)
    } else {
      t.equal(e.decision.problem?.code, c.code, c.name)
      t.equal(real.status, e.decision.problem?.status, `${c.name}: the gateway answers the same status`)
      t.equal(real.json().code, e.decision.problem?.code, `${c.name}: and the same code`)
      t.equal(real.json().detail, e.decision.problem?.detail, `${c.name}: and the same detail`)
      const challenge = e.decision.responseHeaders?.find(([n]) => n === 'www-authenticate')?.[1]
      if (challenge !== undefined) {
        t.equal(
          [real.headers['www-authenticate']].flat().join(', '),
          e.decision.responseHeaders
            ?.filter(([n]) => n === 'www-authenticate')
            .map(([, v]) => v)
            .join(', '),
          `${c.name}: the same challenges`
        )
      }
    }
  }

  const allowed = await explainRequest(gw.gateway, {
    method: 'GET',
    url: '/api/orders/7?x=1',
    headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${reader}`, 'remote-user': 'mallory' },
    ip: '198.51.100.7'
  })
  t.equal(allowed.route?.match, '/api/orders/*')
  t.equal(allowed.policy, 'client+user')
  t.same(allowed.authenticators?.client.map(a => [a.name, a.reads]), [['appKey', ['header x-api-key']]])
  t.same(allowed.authenticators?.user.map(a => [a.name, a.type, a.settings.audience]), [['idp', 'jwt', AUDIENCE]])
  t.same(allowed.checks?.scopes, ['orders:read'])
  t.same(allowed.identity?.set, [
    ['remote-user', 'alice'],
    ['remote-client', 'android'],
    ['remote-scopes', 'orders:read'],
    ['remote-auth', 'appKey,idp'],
    ['remote-email', 'alice@example.com']
  ])
  t.same(
    allowed.rateLimit,
    { max: 50, windowMs: 60_000, by: 'user', key: '/api/orders/*|user:alice', clientTier: false, onRedisError: 'open' },
    'the limit and the key this request is counted under'
  )
  t.equal(allowed.upstream?.path, '/api/orders/7?x=1')
  t.same(
    allowed.upstream?.dropped.map(d => d.header).sort(),
    ['authorization', 'remote-user', 'x-api-key'],
    'credentials consumed and the spoofed identity header are not forwarded'
  )
  t.notOk(JSON.stringify(allowed).includes(reader), 'the token itself is never in the explanation')
  t.notOk(JSON.stringify(allowed).includes(KEYS.android), 'nor the key')

  const before = await call(`${gw.url}/api/orders/7`, { headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${reader}` } })
  for (let i = 0; i < 5; i++) {
    await explainRequest(gw.gateway, {
      method: 'GET',
      url: '/api/orders/7',
      headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${reader}` },
      ip: '127.0.0.1'
    })
  }
  const after = await call(`${gw.url}/api/orders/7`, { headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${reader}` } })
  t.equal(Number(before.headers['ratelimit-remaining']) - Number(after.headers['ratelimit-remaining']), 1, 'explain spends no rate-limit quota')
})
