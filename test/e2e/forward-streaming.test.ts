import t from 'tap'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { header, hostOf, rawConnect, requestBytes, startRawUpstream } from '../helpers/raw-http.js'

t.test('chunked and sized upstream responses stream: the client sees the first part before the upstream sends the rest', async t => {
  let release: () => void = () => {}
  const upstream = await startRawUpstream(t, (req, socket) => {
    const rest = (): void => {
      if (req.target === '/api/close-delimited') socket.end('last!')
      else socket.write(req.target === '/api/chunked' ? '5\r\nlast!\r\n0\r\n\r\n' : 'last!')
    }
    if (req.target === '/api/close-delimited') socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nfirst-')
    else if (req.target === '/api/chunked') socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst-\r\n')
    else socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nfirst-')
    // The rest goes only when the test says so, whether or not the first part arrived: no clock decides what the client sees.
    release = rest
  })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url))
  // Close-delimited: an HTTP/1.1 upstream may end its body by closing (no length, no chunks).
  for (const path of ['/api/chunked', '/api/sized', '/api/close-delimited']) {
    await t.test(path, async t => {
      const conn = await rawConnect(t, gw.url)
      conn.write(requestBytes('GET', path, hostOf(gw.url)))
      t.ok(await conn.waitForText('first-', 15_000), 'the first part reached the client while the upstream held the rest')
      release()
      const res = await conn.response({ ms: 15_000 })
      t.equal(res.status, 200)
      t.equal(res.body.toString(), 'first-last!', 'then the whole body')
      t.ok(res.complete, 'a complete message on the wire')
      if (path === '/api/sized') t.equal(header(res, 'content-length'), '11', 'a sized response keeps its length')
    })
  }
})
