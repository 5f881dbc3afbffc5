import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { header, problemCode, rawConnect } from '../helpers/raw-http.js'

// docs/errors.md: every error the gateway itself produces is application/problem+json; 400 bad_request
// for malformed requests. That includes what the HTTP parser refuses before any route runs.
const MALFORMED: Record<string, string> = {
  'a header line without a colon': 'GET /api/x HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
  'Transfer-Encoding with Content-Length': 'POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
  'a control character in a header value': 'GET /api/x HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n',
  'a bad chunk size': 'POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'
}

t.test('requests the HTTP parser refuses are answered 400 problem+json bad_request, then closed', async t => {
  const gw = await startTestGateway(t, `${TEST_SERVER}
upstreams:
  web: { url: "${await startEcho(t)}" }
routes:
  - match: /api/*
    upstream: web
    policy: public
`)
  for (const [name, bytes] of Object.entries(MALFORMED)) {
    const conn = await rawConnect(t, gw.url)
    conn.write(bytes)
    const res = await conn.response({ ms: 15_000 }).catch((err: Error) => err)
    if (res instanceof Error) {
      t.fail(`${name}: ${res.message}`)
      continue
    }
    t.equal(res.status, 400, `${name}: 400`)
    t.equal(header(res, 'content-type'), 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    t.equal(problemCode(res.body), 'bad_request', `${name}: bad_request`)
    t.ok(await conn.closedWithin(15_000), `${name}: the connection is closed after`)
  }
})
