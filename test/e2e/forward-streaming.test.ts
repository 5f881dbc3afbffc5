import t from 'tap'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { header, hostOf, rawConnect, requestBytes, startRawUpstream } from '../helpers/raw-http.js'

t.test('chunked and sized upstream responses stream: the client sees the first part before the upstream sends the rest', async t => {
  let release: () => void = () => {}
  let finishedAt = 0
  const upstream = await startRawUpstream(t, (req, socket) => {
    const rest = (): void => {
      finishedAt = Date.now()
      if (req.target === '/api/close-delimited') socket.end('last!')
      else socket.write(req.target === '/api/chunked' ? '5\r\nlast!\r\n0\r\n\r\n' : 'last!')
    }
    if (req.target === '/api/close-delimited') socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nfirst-')
    else if (req.target === '/api/chunked') socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst-\r\n')
    else socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nfirst-')
    // Let go when the test says so, or after 3 s so a gateway that buffers still finishes.
    const timer = setTimeout(rest, 3000)
    release = () => { clearTimeout(timer); rest() }
  })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url))
  // Close-delimited: an HTTP/1.1 upstream may end its body by closing (no length, no chunks).
  for (const path of ['/api/chunked', '/api/sized', '/api/close-delimited']) {
    await t.test(path, async t => {
      finishedAt = 0
      const conn = await rawConnect(t, gw.url)
      conn.write(requestBytes('GET', path, hostOf(gw.url)))
      const sawFirst = await conn.waitForText('first-', 2000)
      t.ok(sawFirst, 'the first part reached the client')
      t.equal(finishedAt, 0, 'while the upstream was still holding the rest')
      release()
      const res = await conn.response({ ms: 5000 })
      t.equal(res.status, 200)
      t.equal(res.body.toString(), 'first-last!', 'then the whole body')
      t.ok(res.complete, 'a complete message on the wire')
      if (path === '/api/sized') t.equal(header(res, 'content-length'), '11', 'a sized response keeps its length')
    })
  }
})
