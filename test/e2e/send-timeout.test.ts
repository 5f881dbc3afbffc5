import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import { connect, type AddressInfo, type NetConnectOpts, type Socket } from 'node:net'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { scrape } from '../helpers/metrics.js'
import { hostOf, rawRequest, requestBytes, sleep } from '../helpers/raw-http.js'
import { until } from '../helpers/until.js'

const CHUNK = Buffer.alloc(64 * 1024, 121)

/** An upstream whose /bytes/<n> streams n bytes with backpressure; it counts answers cut before their end. */
async function startUpstream (t: Test): Promise<{ url: string, cut: number, whole: number }> {
  const up = { url: '', cut: 0, whole: 0 }
  const server = createServer((req, res) => {
    const size = Number(/^\/bytes\/(\d+)/.exec(req.url ?? '')?.[1] ?? 2)
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size })
    let sent = 0
    const more = (): void => {
      while (sent < size) {
        const piece = CHUNK.subarray(0, Math.min(CHUNK.length, size - sent))
        sent += piece.length
        if (!res.write(piece)) { res.once('drain', more); return }
      }
      res.end()
    }
    res.on('close', () => { if (res.writableFinished) up.whole++; else up.cut++ })
    more()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return up
}

async function open (t: Test, url: string, target: string): Promise<{ socket: Socket, received: () => number, closed: Promise<void> }> {
  const { hostname, port } = new URL(url)
  // A reader takes up to 1 MiB off the socket at a time (a read() pulls the whole of its buffer).
  const socket = connect({ host: hostname, port: Number(port), readableHighWaterMark: 1024 * 1024 } as unknown as NetConnectOpts)
  socket.pause()
  socket.on('error', () => {})
  t.teardown(() => socket.destroy())
  await new Promise(resolve => socket.once('connect', resolve))
  let received = 0
  socket.on('data', (d: Buffer) => { received += d.length })
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
  socket.write(requestBytes('GET', target, hostOf(url)))
  return { socket, received: () => received, closed }
}

async function gateway (t: Test, up: { url: string }, sendTimeout = '1s', upstreamTimeout = '20s'): Promise<{ url: string, adminUrl: string }> {
  const gw = await startTestGateway(t, `${TEST_SERVER}  sendTimeout: ${sendTimeout}
  buffer: { response: 64KiB }
upstreams:
  web: { url: "${up.url}", timeout: ${upstreamTimeout}, connections: 1 }
routes:
  - match: /*
    upstream: web
    policy: public
`)
  return { url: gw.url, adminUrl: gw.adminUrl as string }
}

t.test('a client that reads nothing of its answer for sendTimeout is cut: its upstream request aborted, the slot and buffers freed', async t => {
  const up = await startUpstream(t)
  const gw = await gateway(t, up)
  const size = 64 * 1024 * 1024
  const client = await open(t, gw.url, `/bytes/${size}`)
  const started = Date.now()
  await until('the upstream answer to be cut off', () => up.cut === 1, 20_000)
  const waited = Date.now() - started
  t.ok(waited >= 900, `no sooner than sendTimeout (${waited} ms)`)
  // What the kernel holds is read now: less than the whole answer, then the connection ends.
  client.socket.resume()
  await client.closed
  t.ok(client.received() < size, `the client got a cut answer (${client.received()} of ${size} bytes) and its connection closed`)
  await until('the buffered bytes to be released', async () => (await scrape(gw.adminUrl)).value('gatehouse_buffered_bytes') === 0)
  const next = await rawRequest(t, gw.url, requestBytes('GET', '/bytes/2', hostOf(gw.url)), { ms: 15_000 })
  t.equal(next.status, 200, 'the next request (the pool has one connection) is answered')
})

t.test('a client that reads slowly but keeps reading is never cut: it gets the whole answer', async t => {
  const up = await startUpstream(t)
  // sendTimeout is ten times the client's pause, so a loaded machine that stretches a pause does not cut it.
  const gw = await gateway(t, up, '3s')
  const size = 16 * 1024 * 1024
  const client = await open(t, gw.url, `/bytes/${size}`)
  let done = false
  void client.closed.then(() => { done = true })
  // At most 1 MiB every 300 ms: at least 16 pauses, so the whole answer takes well over sendTimeout however fast the machine.
  const started = Date.now()
  while (!done && client.received() < size) {
    client.socket.read()
    await sleep(300)
  }
  const took = Date.now() - started
  t.ok(client.received() >= size, `the whole answer arrived (${client.received()} bytes in ${took} ms)`)
  t.ok(took > 4000, 'well over sendTimeout')
  t.equal(up.cut, 0, 'the upstream answer was not cut')
})

t.test('a client that stops reading an answer larger than buffer.response holds its upstream connection no longer than the upstream timeout', async t => {
  const up = await startUpstream(t)
  const gw = await gateway(t, up, '60s', '1s')
  const client = await open(t, gw.url, `/bytes/${64 * 1024 * 1024}`)
  const started = Date.now()
  await until('the upstream answer to be cut off', () => up.cut === 1, 20_000)
  const waited = Date.now() - started
  t.ok(waited >= 900 && waited < 15_000, `cut after about the upstream timeout, not sendTimeout (${waited} ms)`)
  client.socket.resume()
  await client.closed
  t.ok(client.socket.destroyed, 'the client\'s connection was closed')
  const next = await rawRequest(t, gw.url, requestBytes('GET', '/bytes/2', hostOf(gw.url)), { ms: 15_000 })
  t.equal(next.status, 200, 'the next request (the pool has one connection) is answered')
})
