import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TEST_SERVER, ordersRoute, startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

/**
 * RFC 7662 only says an inactive answer SHOULD NOT carry other claims: an authorization
 * server that adds them anyway must still be read as "not active", whatever sub and scope say.
 */
t.test('introspection: active false is refused even when the answer carries sub, scope and a future exp', async t => {
  const upstream = await startCountingEcho(t)
  let active = false
  const as = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const body = JSON.stringify({ active, sub: 'alice', scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 600, client_id: 'web' })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body)
    })
  })
  await new Promise<void>(resolve => as.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { as.closeAllConnections(); as.close(() => resolve()) }))
  const endpoint = `http://127.0.0.1:${(as.address() as AddressInfo).port}/introspect`
  const gw = await startTestGateway(t, `${TEST_SERVER}
authenticators:
  oauth: { type: introspection, endpoint: "${endpoint}", clientId: gateway, clientSecret: s3cret, negativeCacheTtl: 0s, cacheTtl: 0s }
${ordersRoute(upstream.url, 'oauth')}`)

  const inactive = await call(`${gw.url}/api/orders/1`, { headers: { authorization: 'Bearer opaque-token-1' } })
  t.equal(inactive.status, 401, 'active: false with claims: 401')
  t.equal(inactive.json().code, 'invalid_token')
  t.equal(upstream.requests, 0, 'the upstream was never called')

  active = true
  const ok = await call(`${gw.url}/api/orders/1`, { headers: { authorization: 'Bearer opaque-token-2' } })
  t.equal(ok.status, 200, 'the same answer with active: true passes: the refusal above was the active flag')
  t.equal(upstream.requests, 1)
})
