import t from 'tap'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { header, hostOf, rawConnect, requestBytes, startRawUpstream } from '../helpers/raw-http.js'

t.test('response trailers from the upstream are dropped; the body is still complete', async t => {
  const upstream = await startRawUpstream(t, (req, socket) => {
    socket.write([
      'HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Transfer-Encoding: chunked', 'Trailer: X-Checksum, X-Status', '',
      '6', 'hello ', '5', 'world', '0', 'X-Checksum: sha256-secret-trailer', `X-Status: done ${req.target}`, '', ''
    ].join('\r\n'))
  })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url))
  const conn = await rawConnect(t, gw.url)
  // A client that says it accepts trailers (TE: trailers) does not get them either.
  for (const te of [[], ['TE: trailers']]) {
    conn.write(requestBytes('GET', '/api/t', hostOf(gw.url), te))
    const res = await conn.response({ ms: 15_000 })
    t.equal(res.status, 200, `${te.join('') || 'no TE'}: 200`)
    t.equal(res.body.toString(), 'hello world', 'the body is whole')
    t.ok(res.complete, 'and properly terminated')
    t.same(res.trailers, [], 'no trailer fields after the body')
    t.equal(header(res, 'trailer'), undefined, 'no Trailer header announcing them')
  }
  t.notOk(conn.received.toString('latin1').includes('secret-trailer'), 'the trailer value never reached the client')
  conn.write(requestBytes('GET', '/api/again', hostOf(gw.url)))
  const next = await conn.response({ ms: 15_000 })
  t.equal(next.startLine, 'HTTP/1.1 200 OK', 'the connection is still in step')
})
