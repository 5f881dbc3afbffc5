import t, { type Test } from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { echoOf, header, hostOf, problemCode, rawConnect, rawRequest, requestBytes, sleep, type RawMessage } from '../helpers/raw-http.js'
import { upstreamPool } from '../helpers/metrics.js'
import { until } from '../helpers/until.js'

/** A gateway on a 1-connection pool; `requestBody`: server.buffer.requestBody (4 bytes: every body here streams). */
async function bodyGateway (t: Test, requestBody: string, upstreamTimeout = '20s'): Promise<{ url: string, host: string }> {
  const gw = await startTestGateway(t, `${TEST_SERVER}  bodyTimeout: 1s
  buffer: { requestBody: ${requestBody} }
upstreams:
  web: { url: "${await startEcho(t)}", timeout: ${upstreamTimeout}, connections: 1 }
routes:
  - match: /api/*
    upstream: web
    policy: public
`)
  return { url: gw.url, host: hostOf(gw.url) }
}

for (const [mode, requestBody] of [['read whole', '1MiB'], ['streamed', '4']]) {
  t.test(`a request body (${mode}) that stalls for server.bodyTimeout is 408 request_timeout and frees the upstream slot`, async t => {
    const { url, host } = await bodyGateway(t, requestBody)
    const stalls = {
      sized: requestBytes('POST', '/api/upload', host, ['Content-Length: 100', 'Content-Type: application/octet-stream']) + '0123456789',
      chunked: requestBytes('POST', '/api/upload', host, ['Transfer-Encoding: chunked', 'Content-Type: application/octet-stream']) + 'a\r\n0123456789\r\n'
    }
    for (const [kind, bytes] of Object.entries(stalls)) {
      await t.test(`${kind} body`, async t => {
        const conn = await rawConnect(t, url)
        const started = Date.now()
        conn.write(bytes)
        const res = await conn.response({ ms: 19_000 })
        const waited = Date.now() - started
        t.equal(res.status, 408, 'the stalled body is answered 408')
        t.equal(problemCode(res.body), 'request_timeout')
        t.equal(header(res, 'content-type'), 'application/problem+json; charset=utf-8')
        // Not before bodyTimeout (1 s); well before the upstream's timeout (20 s), which is not what fired.
        t.ok(waited >= 900 && waited < 19_000, `after bodyTimeout, not the upstream's timeout (${waited} ms)`)
        conn.destroy()

        // A slot still held would keep the next request queued until the upstream timeout (20 s).
        const next = await rawRequest(t, url, requestBytes('POST', '/api/next', host, [], 'hello'), { ms: 15_000 })
        t.equal(next.status, 200, 'the next request (the pool has one connection) is answered')
        t.equal(echoOf(next.body).body.bytes, 5)
        next.connection.destroy()
      })
    }
  })
}

/** Sends `body` one byte every `ms` after the head; the answer. */
async function trickle (t: Test, url: string, host: string, body: string, ms: number): Promise<RawMessage> {
  const conn = await rawConnect(t, url)
  conn.write(requestBytes('POST', '/api/trickled', host, [`Content-Length: ${body.length}`]))
  for (const c of body) {
    if (conn.ended) break
    conn.write(c)
    await sleep(ms)
  }
  return await conn.response({ ms: 15_000 })
}

t.test('a body read whole that keeps moving but is not whole within bodyTimeout is 408: it must arrive within it', async t => {
  const { url, host } = await bodyGateway(t, '1MiB')
  const res = await trickle(t, url, host, 'abcdefghij', 300)
  t.equal(res.status, 408, 'each pause is under bodyTimeout, the whole upload is over it: 408')
  t.equal(problemCode(res.body), 'request_timeout')
})

t.test('a streamed body that keeps moving is not cut off by bodyTimeout', async t => {
  const { url, host } = await bodyGateway(t, '4')
  // Pauses of a tenth of bodyTimeout, 1.5 s in all: past bodyTimeout whatever the machine's speed.
  const res = await trickle(t, url, host, 'abcdefghijklmno', 100)
  t.equal(res.status, 200, 'each pause is under bodyTimeout, the whole upload is over it: 200')
  t.equal(echoOf(res.body).body.bytes, 15)
})

t.test('a streamed body must arrive within the upstream\'s timeout once it has a connection: 408, the slot freed', async t => {
  const { url, host } = await bodyGateway(t, '4', '2s')
  const started = Date.now()
  const res = await trickle(t, url, host, 'x'.repeat(60), 100)
  const waited = Date.now() - started
  t.equal(res.status, 408, 'never a pause of bodyTimeout, but not whole within the upstream timeout: 408')
  t.equal(problemCode(res.body), 'request_timeout')
  t.ok(waited >= 1900, `not before the upstream timeout (${waited} ms)`)
  const next = await rawRequest(t, url, requestBytes('POST', '/api/next', host, [], 'hello'), { ms: 15_000 })
  t.equal(next.status, 200, 'the next request (the pool has one connection) is answered')
})

t.test('a body that stalls while its request waits for a busy pool is 408 too; the gateway survives', async t => {
  const gw = await startTestGateway(t, `${TEST_SERVER}  bodyTimeout: 1s
upstreams:
  web: { url: "${await startEcho(t)}", timeout: 20s, connections: 1 }
routes:
  - match: /*
    upstream: web
    policy: public
`)
  const host = hostOf(gw.url)
  // The pool's one connection is busy for 1.8 s.
  const busy = await rawConnect(t, gw.url)
  busy.write(requestBytes('GET', '/slow/3000', host))
  await until('the pool\'s one connection busy', async () => (await upstreamPool(gw.adminUrl ?? '', 'web')).busy === 1)
  // Queued behind it: a body announced and never sent (as after Expect: 100-continue, or a client that stalls at once).
  const stalled = await rawConnect(t, gw.url)
  stalled.write(requestBytes('POST', '/upload', host, ['Content-Length: 5', 'Expect: 100-continue']))
  const answers: number[] = []
  for (;;) {
    const res = await stalled.response({ ms: 15_000 }).catch((err: Error) => err)
    if (res instanceof Error) { t.fail(`the stalled request: ${res.message}`); break }
    answers.push(res.status)
    if (res.status >= 200) {
      t.equal(res.status, 408, 'the stalled body is answered 408')
      t.equal(problemCode(res.body), 'request_timeout')
      break
    }
  }
  const slow = await busy.response({ ms: 15_000 }).catch((err: Error) => err)
  t.notOk(slow instanceof Error, 'the request ahead of it was not hurt')
  if (!(slow instanceof Error)) t.equal(slow.status, 200)
  const next = await rawRequest(t, gw.url, requestBytes('GET', '/after', host), { ms: 15_000 })
  t.equal(next.status, 200, 'the gateway still answers')
})

t.test('an upstream slow to read the body is not a stalled client: no 408', async t => {
  // Reads nothing for 1.8 s (over bodyTimeout), then the whole body, then answers with its size.
  const { createServer } = await import('node:net')
  const server = createServer(socket => {
    socket.pause()
    socket.on('error', () => {})
    let head = ''
    let bytes = 0
    let length = -1
    setTimeout(() => {
      socket.on('data', (d: Buffer) => {
        if (length < 0) {
          head += d.toString('latin1')
          const end = head.indexOf('\r\n\r\n')
          if (end === -1) return
          length = Number(/content-length: (\d+)/i.exec(head.slice(0, end))?.[1] ?? 0)
          bytes = Buffer.byteLength(head.slice(end + 4), 'latin1')
        } else bytes += d.length
        if (bytes >= length) socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${String(bytes).length}\r\nConnection: close\r\n\r\n${bytes}`)
      })
      socket.resume()
    }, 1800)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.close(() => resolve()) }))
  const gw = await startTestGateway(t, `${TEST_SERVER}  bodyTimeout: 1s
  bodyLimit: 64MiB
upstreams:
  web: { url: "http://127.0.0.1:${(server.address() as { port: number }).port}", timeout: 20s }
routes:
  - match: /*
    upstream: web
    policy: public
`)
  const size = 16 * 1024 * 1024
  const conn = await rawConnect(t, gw.url)
  conn.write(requestBytes('POST', '/upload', hostOf(gw.url), [`Content-Length: ${size}`]))
  const chunk = Buffer.alloc(256 * 1024, 97)
  for (let sent = 0; sent < size && !conn.ended; sent += chunk.length) {
    if (!conn.socket.write(chunk)) await new Promise(resolve => conn.socket.once('drain', resolve))
  }
  const res = await conn.response({ ms: 15_000 })
  t.equal(res.status, 200, 'the upload is answered by the upstream, not 408')
  t.equal(res.body.toString(), String(size), 'every byte arrived')
})
