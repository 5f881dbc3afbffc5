import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { scrape } from '../helpers/metrics.js'
import { startEcho } from '../helpers/upstream.js'
import { echoOf, header, hostOf, problemCode, rawConnect, rawRequest, requestBytes } from '../helpers/raw-http.js'
import { until } from '../helpers/until.js'

t.test('with server.buffer.total held by slow bodies, a body to be read whole is 503 overloaded; requests without one go on', async t => {
  const gw = await startTestGateway(t, `${TEST_SERVER}  bodyTimeout: 20s
  buffer: { requestBody: 1000, response: 1000, total: 2000 }
upstreams:
  web: { url: "${await startEcho(t)}", timeout: 20s }
routes:
  - match: /*
    upstream: web
    policy: public
`)
  const host = hostOf(gw.url)
  const admin = gw.adminUrl as string
  // Two bodies of 1,000 bytes announced, a few sent: the whole budget is theirs while they arrive.
  const holders = []
  for (let i = 0; i < 2; i++) {
    const conn = await rawConnect(t, gw.url)
    conn.write(requestBytes('POST', '/upload', host, ['Content-Length: 1000']) + 'abc')
    holders.push(conn)
  }
  await until('the two bodies to be held', async () => (await scrape(admin)).value('gatehouse_buffered_bytes') === 2000)

  const sized = await rawRequest(t, gw.url, requestBytes('POST', '/upload', host, [], 'x'.repeat(10)), { ms: 15_000 })
  t.equal(sized.status, 503, 'a declared body that would be read whole: 503')
  t.equal(problemCode(sized.body), 'overloaded')
  t.equal(header(sized, 'retry-after'), '1', 'with Retry-After')
  t.equal(header(sized, 'content-type'), 'application/problem+json; charset=utf-8')

  const chunked = await rawRequest(t, gw.url, requestBytes('POST', '/upload', host, ['Transfer-Encoding: chunked']) + 'a\r\n0123456789\r\n0\r\n\r\n', {
    ms: 15_000
  })
  t.equal(chunked.status, 503, 'a chunked body: 503 at its first chunk')
  t.equal(problemCode(chunked.body), 'overloaded')

  const get = await rawRequest(t, gw.url, requestBytes('GET', '/no-body', host), { ms: 15_000 })
  t.equal(get.status, 200, 'a request without a body holds nothing and goes on')
  const streamed = await rawRequest(t, gw.url, requestBytes('POST', '/large', host, [], 'y'.repeat(1500)), { ms: 15_000 })
  t.equal(streamed.status, 200, 'a body over buffer.requestBody streams and goes on')
  t.equal(echoOf(streamed.body).body.bytes, 1500)

  for (const conn of holders) conn.destroy()
  await until('the held bytes to be released', async () => (await scrape(admin)).value('gatehouse_buffered_bytes') === 0)
  const after = await rawRequest(t, gw.url, requestBytes('POST', '/upload', host, [], 'x'.repeat(10)), { ms: 15_000 })
  t.equal(after.status, 200, 'once released, bodies are read whole again')
  t.equal(echoOf(after.body).body.bytes, 10)
})
