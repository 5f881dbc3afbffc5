import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { openWs, startWsUpstream } from '../helpers/websocket.js'

t.test('an upstream that refuses the handshake or cannot be reached: the client gets an HTTP answer, never 101', async t => {
  const refusing = await startWsUpstream(t, { refuse: 403 })
  const down = `http://127.0.0.1:${await freePort()}`
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  refusing: { url: "${refusing.url}" }
  down: { url: "${down}" }
routes:
  - { match: /refusing/*, upstream: refusing, policy: public, websocket: true }
  - { match: /down/*, upstream: down, policy: public, websocket: true }
`)
  const refused = await openWs(`${gw.url}/refusing/x`)
  t.equal(refused.kind, 'refused')
  if (refused.kind === 'refused') {
    t.equal(refused.status, 403, 'the upstream\'s own status')
    t.ok(refused.headers['x-request-id'], 'with the request id')
  }
  t.equal(refusing.handshakes.length, 1, 'the upstream did see this one: it was admitted')

  const unreachable = await openWs(`${gw.url}/down/x`)
  t.equal(unreachable.kind, 'refused')
  if (unreachable.kind === 'refused') {
    t.equal(unreachable.status, 502)
    t.equal(JSON.parse(unreachable.body).code, 'upstream_unavailable', 'problem+json 502')
  }
})
