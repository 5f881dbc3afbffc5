import t from 'tap'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { header, rawConnect, startRawUpstream } from '../helpers/raw-http.js'

t.test('an HTTP/1.0 client never gets chunked framing: a chunked upstream answer is delimited by the close', async t => {
  const upstream = await startRawUpstream(t, (_req, socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n')
  })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url))
  const conn = await rawConnect(t, gw.url)
  conn.write('GET /api/x HTTP/1.0\r\n\r\n')
  t.ok(await conn.closedWithin(15_000), 'the gateway ends the answer by closing')
  const res = await conn.response({ ms: 100 })
  t.equal(res.status, 200)
  t.equal(header(res, 'transfer-encoding'), undefined, 'no Transfer-Encoding for HTTP/1.0')
  t.equal(res.body.toString(), 'hello world', 'the body, unframed')
})
