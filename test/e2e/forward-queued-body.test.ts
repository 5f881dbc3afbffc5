import t, { type Test } from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { hostOf, problemCode, rawConnect, rawRequest, requestBytes, sleep, type RawConnection } from '../helpers/raw-http.js'
import { upstreamPool } from '../helpers/metrics.js'
import { until } from '../helpers/until.js'

/**
 * A request whose upstream pool is busy waits for a connection with its body not yet read.
 * Whatever its body does meanwhile (the client goes away, it grows past bodyLimit), the
 * gateway answers or closes that one request and goes on serving.
 */
async function busyGateway (t: Test): Promise<{ url: string, host: string, busy: RawConnection }> {
  const gw = await startTestGateway(t, `${TEST_SERVER}  bodyLimit: 1KiB
upstreams:
  web: { url: "${await startEcho(t)}", timeout: 20s, connections: 1 }
routes:
  - match: /*
    upstream: web
    policy: public
`)
  const host = hostOf(gw.url)
  const busy = await rawConnect(t, gw.url)
  // Long enough for what each test does behind it on a loaded machine; the test starts once the
  // pool's gauge shows the connection busy, not after a guessed time.
  busy.write(requestBytes('GET', '/slow/4000', host))
  await until('the pool\'s one connection busy', async () => (await upstreamPool(gw.adminUrl ?? '', 'web')).busy === 1)
  return { url: gw.url, host, busy }
}

async function stillServing (t: Test, url: string, host: string, busy: RawConnection): Promise<void> {
  const slow = await busy.response({ ms: 15_000 }).catch((err: Error) => err)
  t.notOk(slow instanceof Error, `the request holding the pool was not hurt${slow instanceof Error ? `: ${slow.message}` : ''}`)
  const next = await rawRequest(t, url, requestBytes('GET', '/after', host), { ms: 30_000 }).catch((err: Error) => err)
  t.notOk(next instanceof Error, `the gateway still answers${next instanceof Error ? `: ${next.message}` : ''}`)
  if (!(next instanceof Error)) t.equal(next.status, 200)
}

t.test('a client that goes away mid-body while its request is queued', async t => {
  const { url, host, busy } = await busyGateway(t)
  for (const extra of [['Content-Length: 100'], ['Transfer-Encoding: chunked']]) {
    const conn = await rawConnect(t, url)
    conn.write(requestBytes('POST', '/upload', host, extra) + (extra[0].startsWith('Content') ? '0123456789' : 'a\r\n0123456789\r\n'))
    // The client's own pace: gone a moment after its first bytes, whether the gateway has taken
    // the head in by then or not; either way it must go on serving, which is all that is asserted.
    await sleep(100)
    conn.destroy()
  }
  await stillServing(t, url, host, busy)
})

t.test('a client that half-closes (FIN) mid-body while its request is queued', async t => {
  const { url, host, busy } = await busyGateway(t)
  const conn = await rawConnect(t, url)
  conn.write(requestBytes('POST', '/upload', host, ['Content-Length: 100']) + '0123456789')
  await sleep(100)
  conn.end()
  const res = await conn.response({ ms: 30_000 }).catch((err: Error) => err)
  if (res instanceof Error) t.ok(conn.ended, `the cut request is closed: ${res.message}`)
  else t.equal(res.status, 400, 'or answered 400')
  await stillServing(t, url, host, busy)
})

t.test('a chunked body that grows past bodyLimit while its request is queued', async t => {
  const { url, host, busy } = await busyGateway(t)
  const conn = await rawConnect(t, url)
  conn.write(requestBytes('POST', '/upload', host, ['Transfer-Encoding: chunked']))
  for (let i = 0; i < 4; i++) conn.write(`200\r\n${'x'.repeat(512)}\r\n`)
  conn.write('0\r\n\r\n')
  const res = await conn.response({ ms: 30_000 }).catch((err: Error) => err)
  if (res instanceof Error) t.ok(conn.ended, `the over-limit upload is cut off: ${res.message}`)
  else {
    t.equal(res.status, 413, 'or answered 413')
    t.equal(problemCode(res.body), 'payload_too_large')
  }
  await stillServing(t, url, host, busy)
})
