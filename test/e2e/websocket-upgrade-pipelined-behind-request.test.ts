import t from 'tap'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { rawConnect, hostOf } from '../helpers/raw-http.js'

// Found by the fuzzer: an upgrade pipelined in one write behind a request the gateway was still
// answering made Node throw ERR_HTTP_SOCKET_ASSIGNED, uncaught: the whole gateway exited.
t.test('an upgrade pipelined behind an unanswered request closes that connection, the gateway lives on', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /api/*, upstream: web, policy: public }
  - { match: /live/*, upstream: web, policy: public, websocket: true }
`)
  const host = hostOf(gw.url)
  for (const [first, second] of [['/api/slow/200', '/live/x'], ['/api/a', '/api/b'], ['/live/x', '/live/y']]) {
    const conn = await rawConnect(t, gw.url)
    conn.write(`GET ${first} HTTP/1.1\r\nHost: ${host}\r\n\r\nGET ${second} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
    t.ok(await conn.closedWithin(10_000), `${first} then an upgrade to ${second}: the connection is closed`)
  }
  const res = await fetch(`${gw.url}/api/after`)
  t.equal(res.status, 200, 'the gateway still answers')
})
