import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { skewedClock } from '../helpers/clock.js'
import { AS_CLIENTS, JWT_AUDIENCE, startAuthServer } from '../helpers/oauth-server.js'

t.test('issuer metadata unreachable: 503 auth_unavailable, then served once the issuer is back', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const jwt = await as.jwtAccessToken('orders:read')
  const opaque = await as.mint({ sub: 'alice' })
  await as.stop()
  const clock = skewedClock()
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
  idp: { type: jwt, issuer: "${as.url}", audience: ${JWT_AUDIENCE}, jwksCooldown: 1s, timeout: 1s }
  oauth: { type: introspection, issuer: "${as.url}", clientId: ${AS_CLIENTS.basic.id}, clientSecret: ${AS_CLIENTS.basic.secret}, timeout: 1s }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/jwt/*
    upstream: orders
    policy: user
    user: [idp]
  - match: /api/opaque/*
    upstream: orders
    policy: user
    user: [oauth]
`, { clock })
  const get = async (path: string, token: string): Promise<{ status: number, code: unknown }> => {
    const res = await call(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, code: res.status === 200 ? undefined : res.json().code }
  }
  for (let i = 0; i < 2; i++) {
    t.same(await get('/api/jwt/1', jwt), { status: 503, code: 'auth_unavailable' }, `jwt, attempt ${i + 1}: 503`)
    t.same(await get('/api/opaque/1', opaque), { status: 503, code: 'auth_unavailable' }, `introspection, attempt ${i + 1}: 503`)
  }
  await as.start()
  // Past the retry delay (the jwksCooldown, the metadata's own second): the next request fetches again.
  clock.advance(1100)
  t.same(await get('/api/jwt/1', jwt), { status: 200, code: undefined }, 'jwt: served once the issuer is back')
  t.same(await get('/api/opaque/1', opaque), { status: 200, code: undefined }, 'introspection: served once the issuer is back')
})
