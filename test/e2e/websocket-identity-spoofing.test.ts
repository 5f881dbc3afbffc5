import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { USER_AUTH_YAML, userToken } from '../helpers/user-token.js'
import { mustOpen, startWsUpstream } from '../helpers/websocket.js'

t.test('identity headers a client puts on the handshake are stripped, on public routes too', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
${USER_AUTH_YAML}
identity:
  claims: { email: Remote-Email }
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /pub/*, upstream: live, policy: public, user: [idp], websocket: true }
`)
  const spoofed = {
    'remote-user': 'mallory',
    remote_user: 'mallory',
    'remote-client': 'android',
    'remote-scopes': 'admin',
    'remote-email': 'ceo@example.com',
    'remote-anything': 'x'
  }
  const anonymous = await mustOpen(`${gw.url}/pub/feed`, { headers: spoofed })
  anonymous.ws.close()
  for (const name of Object.keys(spoofed)) t.notOk(anonymous.hello.headers[name], `anonymous: ${name} stripped`)

  const signedIn = await mustOpen(`${gw.url}/pub/feed`, {
    headers: { ...spoofed, authorization: `Bearer ${await userToken('alice', { email: 'alice@example.com' })}` }
  })
  signedIn.ws.close()
  t.equal(signedIn.hello.headers['remote-user'], 'alice', 'the verified user, not the sent one')
  t.equal(signedIn.hello.headers['remote-email'], 'alice@example.com', 'the mapped claim, not the sent one')
  for (const name of ['remote_user', 'remote-client', 'remote-anything']) t.notOk(signedIn.hello.headers[name], `signed in: ${name} stripped`)
  t.equal(signedIn.hello.headers['x-forwarded-for'], '127.0.0.1', 'X-Forwarded-For set by the gateway')
  t.ok(signedIn.hello.headers['x-request-id'], 'a request id')
})
