import t from 'tap'
import fc from 'fast-check'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { rawConnect, hostOf } from '../helpers/raw-http.js'

// Found by the fuzzer: after a refused upgrade, bytes the client had pipelined behind it were
// left unread on the socket, which then never saw the client's end: it stayed open for good
// and the gateway's drain waited on it forever.
t.test('a refused upgrade with bytes pipelined behind it still lets its connection close', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}  drainTimeout: 1s
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /api/*, upstream: web, policy: public }
`)
  const tails = fc.sample(fc.string({ minLength: 1, maxLength: 200 }).map(s => `GET /api/next HTTP/1.1\r\nHost: x\r\n\r\n${s}`), 10)
  for (const tail of tails) {
    const conn = await rawConnect(t, gw.url)
    conn.write(`GET /api/x HTTP/1.1\r\nHost: ${hostOf(gw.url)}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n${tail}`)
    const res = await conn.response()
    t.equal(res.status, 404, 'the upgrade is refused: the route is not a WebSocket route')
    conn.end()
    t.ok(await conn.closedWithin(10_000), 'the connection closes')
  }
  const closing = gw.close().then(() => true)
  t.ok(
    await Promise.race([closing, new Promise<boolean>(resolve => setTimeout(() => resolve(false), 20_000).unref())]),
    'the gateway closes, no connection left behind'
  )
})
