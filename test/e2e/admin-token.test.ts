import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

const TOKEN = 'admin-token-0123456789abcdef'

t.test('server.adminToken: /metrics and POST /cache/purge want it; health probes stay open', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  adminToken: \${ADMIN_TOKEN}
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /open/*, upstream: web, policy: public }
`, { env: { ADMIN_TOKEN: TOKEN } })
  const admin = gw.adminUrl as string
  const purge = async (headers: Record<string, string>): Promise<number> =>
    (
      await call(`${admin}/cache/purge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ token: 'some-token' })
      })
    ).status

  const none = await call(`${admin}/metrics`)
  t.equal(none.status, 401, '/metrics without the token: 401')
  t.equal(none.json().code, 'missing_credentials')
  t.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(String(none.headers['www-authenticate']), /^Bearer realm="gatehouse-admin"/)
  const wrong = await call(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } })
  t.equal(wrong.status, 401, 'a wrong token: 401')
  t.equal(wrong.json().code, 'invalid_credentials')
  const right = await call(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(right.status, 200, 'the token: 200')
  t.match(right.text, /gatehouse_requests_total|gatehouse_config_info/)

  t.equal(await purge({}), 401, 'POST /cache/purge without the token: 401')
  t.equal(await purge({ authorization: 'Bearer nope' }), 401)
  t.equal(await purge({ authorization: `Bearer ${TOKEN}` }), 200, 'with it: purged')

  t.equal((await call(`${admin}/healthz`)).status, 200, '/healthz open for probes')
  t.equal((await call(`${admin}/readyz`)).status, 200, '/readyz open for probes')
  t.notMatch(gw.logText(), TOKEN, 'the token never reaches a log')
})

t.test('a short admin token is a config error', async t => {
  const upstream = await startEcho(t)
  await t.rejects(startTestGateway(t, `server: { listen: 127.0.0.1:0, admin: 127.0.0.1:0, adminToken: short }
upstreams: { web: { url: "${upstream}" } }
routes: [{ match: /a, upstream: web, policy: public }]
`), /server\.adminToken: at least 16 characters/)
})
