import t from 'tap'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { echoOf, hostOf, rawConnect } from '../helpers/raw-http.js'

// Found by the fuzzer (seed 20261202): an upgrade to another protocol (h2c) pipelined behind a
// request still being answered is served as a plain request on a fresh parser; that request's
// answer queued behind the first one's on a list nothing ever advanced, so it was never sent and
// the connection stayed open until the keep-alive timeout.
t.test('an h2c upgrade pipelined behind an unanswered request is answered after it, in order', async t => {
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  web: { url: "${await startEcho(t)}" }
routes:
  - { match: /api/*, upstream: web, policy: public }
`)
  const host = hostOf(gw.url)
  const upgrades = ['Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA', 'Connection: Upgrade\r\nUpgrade: foo/1']
  for (const upgrade of upgrades) {
    const conn = await rawConnect(t, gw.url)
    conn.write(`GET /api/slow/300 HTTP/1.1\r\nHost: ${host}\r\n\r\n` +
      `POST /api/second HTTP/1.1\r\nHost: ${host}\r\n${upgrade}\r\nContent-Length: 5\r\n\r\nhello` +
      `GET /api/third HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
    const answers = []
    for (let i = 0; i < 3; i++) answers.push(await conn.response({ ms: 10_000 }))
    t.same(answers.map(a => [a.status, echoOf(a.body).url]), [[200, '/api/slow/300'], [200, '/api/second'], [200, '/api/third']],
      `${upgrade.split('\r\n')[1]}: each request answered, in order`)
    t.equal(echoOf(answers[1].body).body.bytes, 5, 'the upgrade request\'s body forwarded whole')
    t.notOk(conn.ended, 'the connection is kept')
    conn.destroy()
  }
})
