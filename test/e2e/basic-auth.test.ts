import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho, startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { basic, usersFile, USERS } from '../helpers/basic-users.js'

t.test('basic authenticator: users file with scrypt hashes and per-user claims', async t => {
  const counting = await startCountingEcho(t)
  const upstream = counting.url
  const gw = await startTestGateway(t, `${TEST_SERVER}
identity:
  claims: { role: Remote-Role }
authenticators:
  staff: { type: basic, usersFile: users.htpasswd }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: orders
    policy: user
    user: [staff]
`, { files: { 'users.htpasswd': await usersFile() } })
  const url = `${gw.url}/api/x`

  const none = await call(url)
  t.equal(none.status, 401)
  t.equal(none.json().code, 'missing_credentials')
  t.equal(none.headers['www-authenticate'], 'Basic realm="gatehouse"')

  const ok = await call(url, { headers: { authorization: basic('alice') } })
  t.equal(ok.status, 200, 'right password: 200')
  const echo = ok.json<Echo>()
  t.equal(echo.headers['remote-user'], 'alice')
  t.equal(echo.headers['remote-scopes'], 'orders:read orders:write', 'scopes from the scope claim')
  t.equal(echo.headers['remote-role'], 'admin', 'claims from the file')
  t.equal(echo.headers.authorization, undefined, 'the consumed Authorization is not forwarded')

  const reached = counting.requests
  for (const [what, auth] of [
    ['wrong password', basic('alice', 'nope')],
    ['unknown user', basic('mallory' as 'alice', 'x')],
    ['no colon', `Basic ${Buffer.from('alice').toString('base64')}`]
  ] as const) {
    const res = await call(url, { headers: { authorization: auth } })
    t.equal(res.status, 401, `${what}: 401`)
    t.equal(res.json().code, 'invalid_credentials')
    t.equal(res.headers['www-authenticate'], 'Basic realm="gatehouse"')
  }

  const bearer = await call(url, { headers: { authorization: 'Bearer abc' } })
  t.equal(bearer.status, 401, 'another scheme is not its kind, and with no other authenticator to claim it the route refuses it')
  t.equal(bearer.json().code, 'invalid_token', 'an unclaimed credential is invalid, not absent')
  t.equal(counting.requests, reached, 'no refused credential reached the upstream')
  t.notMatch(gw.logText(), USERS.alice.password, 'no password reaches a log')
})

t.test('basic authenticator: a malformed users file stops the start with file:line', async t => {
  const upstream = await startEcho(t)
  await t.rejects(startTestGateway(t, `${TEST_SERVER}
authenticators:
  staff: { type: basic, usersFile: users.htpasswd }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - { match: /api/*, upstream: orders, policy: user, user: [staff] }
`, { files: { 'users.htpasswd': '# ok\nalice:plaintext-password\n' } }), /users\.htpasswd:2: the hash must be what `gatehouse hash-secret` prints/)
})
