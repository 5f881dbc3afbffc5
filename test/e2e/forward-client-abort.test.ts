import t from 'tap'
import type { Socket } from 'node:net'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { hostOf, rawConnect, waitUntil, rawRequest, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'

t.test('a client that goes away aborts the upstream request and frees its pool slot', async t => {
  // /api/slow: never answers; /api/dribble: sends a head and part of the body, then nothing; the rest answer at once.
  const held: Socket[] = []
  const upstream = await startRawUpstream(t, (req, socket) => {
    if (req.target === '/api/slow') held.push(socket)
    else if (req.target === '/api/dribble') {
      held.push(socket)
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\npart-')
    } else socket.write(responseBytes(200, ['Content-Type: text/plain'], `ok ${req.target}`))
  })
  const gw = await startTestGateway(t, `${TEST_SERVER}
upstreams:
  web: { url: "${upstream.url}", timeout: 20s, connections: 1 }
routes:
  - match: /api/*
    upstream: web
    policy: public
`)
  const host = hostOf(gw.url)
  for (const path of ['/api/slow', '/api/dribble']) {
    await t.test(path, async t => {
      const before = held.length
      const conn = await rawConnect(t, gw.url)
      conn.write(requestBytes('GET', path, host))
      const reached = await waitUntil(() => held.length > before, 3000)
      t.ok(reached, 'the request reached the upstream')
      if (path === '/api/dribble') t.ok(await conn.waitForText('part-', 2000), 'the client got the start of the body')
      const upstreamSocket = held[held.length - 1]
      conn.destroy()
      const aborted = await waitUntil(() => upstreamSocket.destroyed || upstreamSocket.readableEnded, 1500)
      t.ok(aborted, 'the upstream request was aborted (its connection closed)')
      const started = Date.now()
      const next = await rawRequest(t, gw.url, requestBytes('GET', '/api/next', host), { ms: 3000 })
      t.equal(next.status, 200, 'the next request (the pool has one connection) is answered')
      t.equal(next.body.toString(), 'ok /api/next')
      t.ok(Date.now() - started < 1000, `at once (${Date.now() - started} ms)`)
      next.connection.destroy()
    })
  }
})
