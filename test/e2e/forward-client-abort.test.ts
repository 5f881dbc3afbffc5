import t from 'tap'
import type { Socket } from 'node:net'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { hostOf, rawConnect, rawRequest, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'
import { until } from '../helpers/until.js'

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
      await until('the request to reach the upstream', () => held.length > before)
      if (path === '/api/dribble') t.ok(await conn.waitForText('part-', 15_000), 'the client got the start of the body')
      const upstreamSocket = held[held.length - 1]
      conn.destroy()
      await until('the upstream request to be aborted (its connection closed)', () => upstreamSocket.destroyed || upstreamSocket.readableEnded)
      t.ok(upstreamSocket.destroyed || upstreamSocket.readableEnded, 'the upstream request was aborted (its connection closed)')
      const started = Date.now()
      const next = await rawRequest(t, gw.url, requestBytes('GET', '/api/next', host), { ms: 15_000 })
      t.equal(next.status, 200, 'the next request (the pool has one connection) is answered')
      t.equal(next.body.toString(), 'ok /api/next')
      // A leaked slot would be given back only by the upstream timeout (20 s): half of it is a bound no slow machine reaches.
      t.ok(Date.now() - started < 10_000, `without waiting out the upstream timeout (${Date.now() - started} ms)`)
      next.connection.destroy()
    })
  }
})
