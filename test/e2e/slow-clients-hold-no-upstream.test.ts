import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { TEST_SERVER, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { scrape } from '../helpers/metrics.js'
import { hostOf, rawConnect, rawRequest, requestBytes, type RawConnection } from '../helpers/raw-http.js'
import { until } from '../helpers/until.js'

/**
 * Security review (issue 22), finding 3: four slow clients on a 4-connection upstream must not
 * make a fifth request wait. Slow clients either trickle a body or never read a large answer;
 * the gateway reads the body whole before taking a connection, and holds the answer so the
 * connection goes back to the pool.
 */

const BIG = Buffer.alloc(6 * 1024 * 1024, 120)

interface Upstream {
  url: string
  /** Requests that reached the upstream, by path. */
  seen: Map<string, number>
  /** /big answers the upstream handed over whole. */
  bigSent: number
}

async function startUpstream (t: Test): Promise<Upstream> {
  const up: Upstream = { url: '', seen: new Map(), bigSent: 0 }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? ''
    up.seen.set(path, (up.seen.get(path) ?? 0) + 1)
    let bytes = 0
    req.on('data', (d: Buffer) => { bytes += d.length })
    req.on('end', () => {
      if (path === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length })
        res.end(BIG)
        res.on('finish', () => { up.bigSent++ })
      } else res.end(JSON.stringify({ path, bytes }))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return up
}

async function gateway (t: Test, up: Upstream): Promise<TestGateway> {
  // bodyTimeout far longer than the test's checks take on a busy machine: the fifth request is
  // asserted on while the four are still held, not raced against their cut (body-timeout.test.ts's).
  return await startTestGateway(t, `${TEST_SERVER}  bodyTimeout: 60s
  buffer: { response: 8MiB }
upstreams:
  web: { url: "${up.url}", timeout: 30s, connections: 4 }
routes:
  - match: /*
    upstream: web
    policy: public
`)
}

/** The statuses of the requests to `path` the gateway has finished with (their access lines). */
function ended (gw: TestGateway, path: string): unknown[] {
  return gw.logs.filter(l => l.msg === 'request' && l.path === path).map(l => l.status)
}

/** One GET /fast on a new connection: its time in ms, and its status. */
async function fifth (t: Test, url: string): Promise<{ ms: number, status: number }> {
  const started = performance.now()
  const res = await rawRequest(t, url, requestBytes('GET', '/fast', hostOf(url)), { ms: 20_000 })
  const ms = performance.now() - started
  res.connection.destroy()
  return { ms, status: res.status }
}

/** The fifth request's normal time: the slowest of a few after a warm-up, so one lucky run does not set the bar. */
async function normalTime (t: Test, url: string): Promise<number> {
  await fifth(t, url)
  let worst = 0
  for (let i = 0; i < 3; i++) worst = Math.max(worst, (await fifth(t, url)).ms)
  return worst
}

t.test('four clients trickling their bodies hold no upstream connection: a fifth request is answered at once', async t => {
  const up = await startUpstream(t)
  const gw = await gateway(t, up)
  const normal = await normalTime(t, gw.url)

  const slow: RawConnection[] = []
  for (let i = 0; i < 4; i++) {
    const conn = await rawConnect(t, gw.url)
    // 1,000 bytes announced, one sent every 2 s: still arriving when the fifth request is made.
    conn.write(requestBytes('POST', '/upload', hostOf(gw.url), ['Content-Length: 1000']) + 'a')
    const drip = setInterval(() => { if (!conn.ended) conn.write('a') }, 2000)
    t.teardown(() => clearInterval(drip))
    slow.push(conn)
  }
  // Each slow request is in the gateway's hands: held while its body arrives, or sent upstream.
  await until('the four slow requests to be taken in', async () =>
    (up.seen.get('/upload') ?? 0) + ((await scrape(gw.adminUrl as string)).value('gatehouse_buffered_bytes') ?? 0) / 1000 >= 4)

  const during = await fifth(t, gw.url)
  t.equal(during.status, 200, 'the fifth request is answered')
  t.ok(slow.every(c => !c.ended && c.received.length === 0), 'while the four slow clients are still sending, unanswered')
  t.same(ended(gw, '/upload'), [], 'none of the four slow requests has ended (no access line)')
  t.equal(up.seen.get('/upload'), undefined, 'no slow body reached the upstream')
  t.comment(`fifth request: ${normal.toFixed(1)} ms alone, ${during.ms.toFixed(1)} ms beside four trickling clients`)

  for (const conn of slow) conn.destroy()
  await until('the buffered bytes to be released', async () => (await scrape(gw.adminUrl as string)).value('gatehouse_buffered_bytes') === 0)
  t.equal(up.seen.get('/upload'), undefined, 'none of the four slow bodies reached the upstream, even when their clients went away')
})

t.test('four clients that never read a 6 MiB answer hold no upstream connection: a fifth request is answered at once', async t => {
  const up = await startUpstream(t)
  const gw = await gateway(t, up)
  const normal = await normalTime(t, gw.url)

  const { hostname, port } = new URL(gw.url)
  const stalled: Socket[] = []
  for (let i = 0; i < 4; i++) {
    const socket = connect({ host: hostname, port: Number(port) })
    // Reads nothing, ever: what the gateway sends piles up in the kernel, then in the gateway.
    socket.pause()
    socket.on('error', () => {})
    t.teardown(() => socket.destroy())
    await new Promise(resolve => socket.once('connect', resolve))
    socket.write(requestBytes('GET', '/big', hostOf(gw.url)))
    stalled.push(socket)
  }
  await until('the four answers to be asked of the upstream', () => up.seen.get('/big') === 4)

  const during = await fifth(t, gw.url)
  t.equal(during.status, 200, 'the fifth request is answered')
  t.same(ended(gw, '/big'), [], 'while none of the four slow requests has ended (no access line): the fifth did not wait for one to be cut')
  t.comment(`fifth request: ${normal.toFixed(1)} ms alone, ${during.ms.toFixed(1)} ms beside four clients not reading`)

  await until('the upstream to have handed over the four answers', () => up.bigSent === 4)
  const held = (await scrape(gw.adminUrl as string)).value('gatehouse_buffered_bytes') ?? 0
  t.ok(held > 0 && held <= 4 * (BIG.length + 65536), `the gateway holds what the clients did not read (${held} bytes)`)
  for (const s of stalled) s.destroy()
  await until('the buffered bytes to be released', async () => (await scrape(gw.adminUrl as string)).value('gatehouse_buffered_bytes') === 0)
})
