import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { ISSUER, AUDIENCE, makeKey, sign, startJwksServer } from '../helpers/jwt.js'
import { scrape } from '../helpers/metrics.js'

/** A claim no header maps and no route requires: the cache has no use for it. */
const BULK = 'x'.repeat(4096)

t.test('a cached principal keeps only what the request path reads: mapped and required claims, not the whole token or answer', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  // An RFC 7662 endpoint answering, for `opaque-<role>`, a large answer of which the gateway needs little.
  const as = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? ''
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        active: true,
        sub: `opaque-user-${token}`,
        scope: 'orders:read',
        client_id: 'web',
        exp: Math.floor(Date.now() / 1000) + 600,
        email: `${token}@corp.example`,
        role: token.split('-')[1],
        profile: BULK
      }))
    })
  })
  await new Promise<void>(resolve => as.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => as.close(() => resolve())))
  const gw = await startTestGateway(t, `${TEST_SERVER}
identity:
  claims: { email: Remote-Email }
authenticators:
  idp: { type: jwt, issuer: "${ISSUER}", audience: ${AUDIENCE}, jwksUri: "${jwks.url}" }
  oauth: { type: introspection, endpoint: "http://127.0.0.1:${(as.address() as AddressInfo).port}/introspect", clientId: gw, clientSecret: s }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - { match: /api/*, upstream: orders, policy: user, user: [idp, oauth] }
  - { match: /admin/*, upstream: orders, policy: user, user: [idp, oauth], require: { claims: { role: admin } } }
`)
  const get = async (path: string, token: string): Promise<{ status: number, email: unknown }> => {
    const res = await call(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, email: res.status === 200 ? (res.json() as unknown as Echo).headers['remote-email'] : undefined }
  }

  const admin = await sign(key, { sub: 'alice', email: 'alice@corp.example', role: 'admin', profile: BULK })
  const staff = await sign(key, { sub: 'bob', email: 'bob@corp.example', role: 'staff', profile: BULK })
  for (const round of ['first (verified)', 'again (from the cache)']) {
    t.same(await get('/api/x', admin), { status: 200, email: 'alice@corp.example' }, `jwt ${round}: the mapped claim reaches the upstream`)
    t.same(await get('/admin/x', admin), { status: 200, email: 'alice@corp.example' }, `jwt ${round}: the required claim is there`)
    t.equal((await get('/admin/x', staff)).status, 403, `jwt ${round}: and still refuses another value`)
    t.same(
      await get('/api/x', 'opaque-admin'),
      { status: 200, email: 'opaque-admin@corp.example' },
      `introspection ${round}: the mapped claim reaches the upstream`
    )
    t.equal((await get('/admin/x', 'opaque-admin')).status, 200, `introspection ${round}: the required claim is there`)
    t.equal((await get('/admin/x', 'opaque-staff')).status, 403, `introspection ${round}: and still refuses another value`)
  }

  const m = await scrape(gw.adminUrl as string)
  const entries = m.value('gatehouse_cache_local_entries') ?? NaN
  const bytes = m.value('gatehouse_cache_local_bytes') ?? NaN
  t.equal(entries, 4, 'two JWTs and two introspected tokens cached')
  t.ok(bytes / entries < 1024, `each well under the 4 KiB claim it does not need: ${Math.round(bytes / entries)} bytes on average`)
})
