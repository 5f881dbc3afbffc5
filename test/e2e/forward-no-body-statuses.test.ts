import t from 'tap'
import { TEST_SERVER, startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { header, hostOf, rawConnect, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'

t.test('HEAD, 204 and 304 carry no body: the next response on the connection parses cleanly', async t => {
  const upstream = await startRawUpstream(t, (req, socket) => {
    if (req.method === 'HEAD' && req.target === '/api/head-chunked') {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n')
    } else if (req.method === 'HEAD') socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1234\r\n\r\n')
    else if (req.target === '/api/204') socket.write('HTTP/1.1 204 No Content\r\nX-Kind: 204\r\n\r\n')
    else if (req.target === '/api/304') socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nX-Kind: 304\r\n\r\n')
    else socket.write(responseBytes(200, ['Content-Type: text/plain'], `next:${req.target}`))
  })
  const gw = await startTestGateway(t, `${TEST_SERVER}
upstreams:
  web: { url: "${upstream.url}" }
routes:
  - match: /api/*
    upstream: web
    policy: { GET: public, HEAD: public }
`)
  const host = hostOf(gw.url)
  const conn = await rawConnect(t, gw.url)
  for (const [method, path, status] of [
    ['HEAD', '/api/head', 200],
    ['HEAD', '/api/head-chunked', 200],
    ['GET', '/api/204', 204],
    ['GET', '/api/304', 304]
  ] as const) {
    conn.write(requestBytes(method, path, host, path === '/api/304' ? ['If-None-Match: "v1"'] : []))
    const res = await conn.response({ head: method === 'HEAD', ms: 15_000 })
    t.equal(res.status, status, `${method} ${path}: ${status}`)
    if (method === 'HEAD') {
      const length = header(res, 'content-length')
      if (length !== undefined) t.equal(length, '1234', 'HEAD: a Content-Length is the one the upstream gave')
    } else {
      t.equal(header(res, 'transfer-encoding'), undefined, `${path}: no Transfer-Encoding`)
      t.equal(header(res, 'x-kind'), String(status), `${path}: the upstream's headers`)
    }
    // No wait: a body wrongly sent after the head would come, in order on the stream, before
    // the next answer, and break its status line.
    conn.write(requestBytes('GET', `/api/after${path}`, host))
    const next = await conn.response({ ms: 15_000 })
    t.equal(next.startLine, 'HTTP/1.1 200 OK', `after ${method} ${path}: the next response starts cleanly`)
    t.equal(next.body.toString(), `next:/api/after${path}`, `after ${method} ${path}: with its own body`)
  }
  t.notOk(conn.ended, 'the connection stayed open throughout')
})

t.test("an upstream's 1xx (103 Early Hints) before its answer leaves the client's stream in step", async t => {
  const upstream = await startRawUpstream(t, (req, socket) => {
    socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n')
    setTimeout(() => socket.write(responseBytes(200, ['Content-Type: text/plain'], `final:${req.target}`)), 50)
  })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url))
  const conn = await rawConnect(t, gw.url)
  for (const path of ['/api/one', '/api/two']) {
    conn.write(requestBytes('GET', path, hostOf(gw.url)))
    let res = await conn.response({ ms: 15_000 })
    while (res.status < 200) res = await conn.response({ ms: 15_000 })
    t.equal(res.startLine, 'HTTP/1.1 200 OK', `${path}: the final answer`)
    t.equal(res.body.toString(), `final:${path}`, `${path}: its own body`)
  }
})
