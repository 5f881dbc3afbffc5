import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { USER_AUTH_YAML, userToken } from '../helpers/user-token.js'
import { openWs, startWsUpstream, type Refused } from '../helpers/websocket.js'

t.test('every policy decides the upgrade; a refusal is an HTTP problem and never reaches the upstream', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey }
${USER_AUTH_YAML}
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /pub/*, upstream: live, policy: public, user: [idp], websocket: true }
  - { match: /app/*, upstream: live, policy: client, client: [appKey], websocket: true }
  - { match: /me/*, upstream: live, policy: user, user: [idp], websocket: true }
  - { match: /both/*, upstream: live, policy: client+user, client: [appKey], user: [idp], websocket: true }
  - { match: /scoped/*, upstream: live, policy: user, user: [idp], scopes: [orders:write], websocket: true }
  - { match: /partners/*, upstream: live, policy: client, client: [appKey], clients: [ios], websocket: true }
  - { match: /admins/*, upstream: live, policy: user, user: [idp], require: { claims: { role: admin } }, websocket: true }
  - { match: /limited/*, upstream: live, policy: public, rateLimit: { max: 1, window: 1m }, websocket: true }
  - { match: /plain/*, upstream: live, policy: public }
`)
  const user = { authorization: `Bearer ${await userToken('alice')}` }
  const admin = { authorization: `Bearer ${await userToken('root', { role: 'admin' })}` }
  const key = { 'x-api-key': KEYS.android }
  const bad = { authorization: 'Bearer not.a.jwt' }

  const cases: Array<[path: string, headers: Record<string, string>, status: number, code?: string]> = [
    ['/pub/x', {}, 101],
    ['/pub/x', user, 101],
    ['/pub/x', bad, 401, 'invalid_token'],
    ['/app/x', {}, 401, 'missing_credentials'],
    ['/app/x', { 'x-api-key': 'gh_wrong' }, 401, 'invalid_credentials'],
    ['/app/x', { 'x-api-key': KEYS.expired }, 401, 'invalid_credentials'],
    ['/app/x', key, 101],
    ['/me/x', {}, 401, 'missing_credentials'],
    ['/me/x', key, 401, 'missing_credentials'],
    ['/me/x', user, 101],
    ['/both/x', user, 401, 'missing_credentials'],
    ['/both/x', key, 401, 'missing_credentials'],
    ['/both/x', { ...user, ...key }, 101],
    ['/scoped/x', user, 403, 'insufficient_scope'],
    ['/partners/x', key, 403, 'forbidden'],
    ['/partners/x', { 'x-api-key': KEYS.ios }, 101],
    ['/admins/x', user, 403, 'forbidden'],
    ['/admins/x', admin, 101],
    ['/limited/x', {}, 101],
    ['/limited/x', {}, 429, 'rate_limited'],
    ['/plain/x', {}, 404, 'not_found'],
    ['/nowhere', {}, 404, 'not_found']
  ]
  for (const [path, headers, status, code] of cases) {
    const before = upstream.handshakes.length
    const r = await openWs(`${gw.url}${path}`, { headers })
    const what = `${path} with ${Object.keys(headers).join('+') || 'nothing'}`
    if (status === 101) {
      t.equal(r.kind, 'open', `${what}: switched`)
      if (r.kind === 'open') r.ws.close()
      t.equal(upstream.handshakes.length, before + 1, `${what}: the upstream saw the handshake`)
      continue
    }
    t.equal(r.kind, 'refused', `${what}: not switched`)
    const refused = r as Refused
    t.equal(refused.status, status, `${what}: ${status}`)
    t.match(refused.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
    t.equal(JSON.parse(refused.body).code, code, `${what}: ${code}`)
    t.equal(refused.headers.connection, 'close', `${what}: the connection is not kept`)
    t.equal(upstream.handshakes.length, before, `${what}: the upstream never saw it`)
    if (status === 401) t.ok(refused.headers['www-authenticate'], `${what}: a challenge`)
    if (status === 429) t.ok(refused.headers['retry-after'], `${what}: Retry-After`)
  }
})
