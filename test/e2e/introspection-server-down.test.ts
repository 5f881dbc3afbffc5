import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call, type Response } from '../helpers/http.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

t.test('introspection: authorization server down, failing, malformed or slow is 503 auth_unavailable, never cached', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, introspectionYaml(as, upstream, { auth: ', timeout: 2s' }))
  const token = await as.mint()
  const headers = { authorization: `Bearer ${token}` }
  const unavailable = (res: Response, what: string): void => {
    t.equal(res.status, 503, `${what}: 503`)
    t.equal(res.json().code, 'auth_unavailable', `${what}: auth_unavailable`)
    t.equal(res.headers['retry-after'], '5', `${what}: Retry-After`)
    t.notOk('headers' in res.json(), `${what}: nothing was proxied`)
    t.notMatch(res.text, token, `${what}: the body never holds the token`)
  }

  await as.stop()
  unavailable(await call(`${gw.url}/api/orders/1`, { headers }), 'connection refused')
  await as.start()

  for (const [what, status, body] of [
    ['5xx', 502, '{"error":"server_error"}'],
    ['gateway not allowed to introspect', 401, '{"error":"invalid_client"}'],
    ['not JSON', 200, '<html>maintenance</html>'],
    ['no active field', 200, '{"sub":"alice"}'],
    ['exp not a number', 200, '{"active":true,"sub":"alice","exp":"tomorrow"}'],
    ['oversized answer', 200, JSON.stringify({ active: true, sub: 'alice', pad: 'x'.repeat(100_000) })]
  ] as const) {
    as.behaviour = { kind: 'answer', status, body }
    unavailable(await call(`${gw.url}/api/orders/1`, { headers }), what)
  }

  // A server that never answers: only the timeout can end the wait, so the bound below can be loose.
  as.behaviour = { kind: 'held', until: new Promise<void>(() => {}) }
  const started = Date.now()
  unavailable(await call(`${gw.url}/api/orders/1`, { headers }), 'slower than timeout')
  t.ok(Date.now() - started < 20_000, 'the timeout bounds the wait')

  as.behaviour = { kind: 'normal' }
  const before = as.calls
  t.equal((await call(`${gw.url}/api/orders/1`, { headers })).status, 200, 'server back: 200')
  t.equal(as.calls, before + 1, 'the failures were not cached')
  t.ok(gw.logs.some(l => l.msg === 'token introspection failed: refusing the request' && l.level === 40), 'a warning was logged')
  t.notMatch(gw.logText(), token, 'no token reaches a log')
})
