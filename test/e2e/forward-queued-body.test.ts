import t, { type Test } from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { hostOf, problemCode, rawConnect, rawRequest, requestBytes, sleep, type RawConnection } from '../helpers/raw-http.js'

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
  busy.write(requestBytes('GET', '/slow/1500', host))
  await sleep(200)
  return { url: gw.url, host, busy }
}

async function stillServing (t: Test, url: string, host: string, busy: RawConnection): Promise<void> {
  const slow = await busy.response({ ms: 4000 }).catch((err: Error) => err)
  t.notOk(slow instanceof Error, `the request holding the pool was not hurt${slow instanceof Error ? `: ${slow.message}` : ''}`)
  const next = await rawRequest(t, url, requestBytes('GET', '/after', host), { ms: 3000 }).catch((err: Error) => err)
  t.notOk(next instanceof Error, `the gateway still answers${next instanceof Error ? `: ${next.message}` : ''}`)
  if (!(next instanceof Error)) t.equal(next.status, 200)
}

t.test('a client that goes away mid-body while its request is queued', async t => {
  const { url, host, busy } = await busyGateway(t)
  for (const extra of [['Content-Length: 100'], ['Transfer-Encoding: chunked']]) {
    const conn = await rawConnect(t, url)
    conn.write(requestBytes('POST', '/upload', host, extra) + (extra[0].startsWith('Content') ? '0123456789' : 'a\r\n0123456789\r\n'))
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
  const res = await conn.response({ ms: 4000 }).catch((err: Error) => err)
  t.ok(res instanceof Error || res.status === 400, `the cut request is answered 400 or closed (${res instanceof Error ? 'closed' : res.status})`)
  await stillServing(t, url, host, busy)
})

t.test('a chunked body that grows past bodyLimit while its request is queued', async t => {
  const { url, host, busy } = await busyGateway(t)
  const conn = await rawConnect(t, url)
  conn.write(requestBytes('POST', '/upload', host, ['Transfer-Encoding: chunked']))
  for (let i = 0; i < 4; i++) conn.write(`200\r\n${'x'.repeat(512)}\r\n`)
  conn.write('0\r\n\r\n')
  const res = await conn.response({ ms: 4000 }).catch((err: Error) => err)
  if (res instanceof Error) t.ok(conn.ended, 'the over-limit upload is cut off')
  else {
    t.equal(res.status, 413, 'or answered 413')
    t.equal(problemCode(res.body), 'payload_too_large')
  }
  await stillServing(t, url, host, busy)
})
