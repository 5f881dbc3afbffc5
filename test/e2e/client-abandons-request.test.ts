import t from 'tap'
import { TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { hostOf, rawConnect, rawRequest, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'

// Node 24 can destroy an abandoned request with an `aborted` error after the listener that made
// it emit one is gone: unhandled, it ends the process (found by the fuzzer, seed 153289137).
t.test('a client that abandons its request at any point leaves the gateway serving', async t => {
  const upstream = await startRawUpstream(t, (req, socket) => {
    socket.write(responseBytes(200, ['Content-Type: text/plain'], `ok ${req.target}`))
  })
  const gw = await startTestGateway(t, `${TEST_SERVER}
upstreams:
  web: { url: "${upstream.url}" }
routes:
  - { match: /pub/*, upstream: web, policy: public }
  - { match: /key/*, upstream: web, policy: client, client: [appKey] }
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
${clientsYaml()}
`)
  const host = hostOf(gw.url)
  const cases: Array<[string, string]> = [
    ['in the request line', 'POST /pub/a HT'],
    ['in the headers', `POST /pub/a HTTP/1.1\r\nHost: ${host}\r\nContent-Le`],
    ['in a declared body', `POST /pub/a HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 100\r\n\r\nabc`],
    ['in a chunked body', `POST /pub/a HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab`],
    ['in the body of a refused request', `POST /key/a HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 100\r\n\r\nabc`],
    ['after Expect: 100-continue', `PUT /pub/a HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n`],
    ['in the second of two pipelined requests', `${requestBytes('GET', '/pub/1', host)}POST /pub/2 HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 9\r\n\r\nab`],
    ['in a body to no route', `POST /nowhere HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 50\r\n\r\nab`]
  ]
  for (const [where, bytes] of cases) {
    for (const closing of ['reset', 'half-close'] as const) {
      const conn = await rawConnect(t, gw.url)
      conn.write(bytes)
      if (closing === 'reset') conn.socket.resetAndDestroy()
      else conn.end()
      await conn.closed
      const next = await rawRequest(t, gw.url, requestBytes('GET', '/pub/next', host))
      t.equal(next.status, 200, `abandoned ${where} (${closing}): the next request is answered`)
      next.connection.destroy()
    }
  }
})
