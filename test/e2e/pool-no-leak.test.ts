import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { USER_AUTH_YAML } from '../helpers/user-token.js'
import { echoOf, hostOf, rawConnect, rawRequest, requestBytes, type RawConnection } from '../helpers/raw-http.js'
import { upstreamPool } from '../helpers/metrics.js'
import { until } from '../helpers/until.js'

t.test('no request, however malformed or refused, leaks an upstream pool slot', async t => {
  const gw = await startTestGateway(t, `${TEST_SERVER}  bodyTimeout: 1s
authenticators:
${USER_AUTH_YAML}upstreams:
  web: { url: "${await startEcho(t)}", timeout: 20s, connections: 2 }
routes:
  - match: /api/*
    upstream: web
    policy: public
  - match: /private/*
    upstream: web
    policy: user
    user: [idp]
`)
  const host = hostOf(gw.url)
  const bad: Record<string, { bytes: string, disconnectAfterMs?: number }> = {
    'Keep-Alive header': { bytes: requestBytes('GET', '/api/ka', host, ['Keep-Alive: timeout=5']) },
    'Expect: 100-continue, body sent at once': { bytes: requestBytes('POST', '/api/expect', host, ['Expect: 100-continue', 'Content-Length: 5']) + 'hello' },
    'Expect: 100-continue, body never sent': { bytes: requestBytes('POST', '/api/expect-stall', host, ['Expect: 100-continue', 'Content-Length: 5']) },
    'Expect: something else': { bytes: requestBytes('POST', '/api/expect-odd', host, ['Expect: the-unexpected', 'Content-Length: 5']) + 'hello' },
    'Upgrade: foo': { bytes: requestBytes('GET', '/api/upgrade', host, ['Connection: Upgrade', 'Upgrade: foo']) },
    'Upgrade: foo without Connection': { bytes: requestBytes('GET', '/api/upgrade2', host, ['Upgrade: foo']) },
    'Transfer-Encoding and Content-Length': {
      bytes: requestBytes('POST', '/api/te-cl', host, ['Transfer-Encoding: chunked', 'Content-Length: 5']) + '0\r\n\r\n'
    },
    'Transfer-Encoding not ending in chunked': { bytes: requestBytes('POST', '/api/te-gzip', host, ['Transfer-Encoding: chunked, gzip']) + 'hello' },
    'Transfer-Encoding twice': {
      bytes: requestBytes('POST', '/api/te-twice', host, ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked']) + '5\r\nhello\r\n0\r\n\r\n'
    },
    'bad chunk size': { bytes: requestBytes('POST', '/api/te-bad', host, ['Transfer-Encoding: chunked']) + 'zz\r\nhello\r\n0\r\n\r\n' },
    '401 with a body': { bytes: requestBytes('POST', '/private/x', host, ['Content-Length: 5']) + 'hello' },
    '401 with a body never sent': { bytes: requestBytes('POST', '/private/y', host, ['Content-Length: 100000']) },
    'client gone while the upstream is slow': { bytes: requestBytes('GET', '/api/slow/5000', host), disconnectAfterMs: 200 },
    'client gone mid-body': { bytes: requestBytes('POST', '/api/upload', host, ['Content-Length: 100']) + '0123456789', disconnectAfterMs: 200 },
    'stalled body': { bytes: requestBytes('POST', '/api/stall', host, ['Content-Length: 100']) + '0123456789' },
    'stalled chunked body': { bytes: requestBytes('POST', '/api/stall-chunked', host, ['Transfer-Encoding: chunked']) + 'a\r\n0123456789\r\n' }
  }
  const outcomes: string[] = []
  const timings: string[] = []
  // Three of each: more than the pool's two connections.
  await Promise.all(Object.entries(bad).flatMap(([name, { bytes, disconnectAfterMs }]) => [0, 1, 2].map(async () => {
    const conn = await rawConnect(t, gw.url)
    conn.write(bytes)
    // The client's own pace: whether the gateway got the request upstream before it went away or
    // not, no slot may stay taken, which is what is asserted.
    if (disconnectAfterMs !== undefined) {
      await new Promise(resolve => setTimeout(resolve, disconnectAfterMs))
      conn.destroy()
      return
    }
    const started = Date.now()
    const status = await finalStatus(conn)
    timings.push(`${name}: ${status} after ${Date.now() - started} ms`)
    outcomes.push(`${name}: ${status}`)
    conn.destroy()
  })))
  const seen = [...new Set(outcomes)].sort().join('\n')
  t.comment(timings.sort().join('\n'))
  t.notOk(outcomes.some(o => /: 5\d\d/.test(o)), `no 5xx among the refusals:\n${seen}`)
  t.notOk(outcomes.some(o => /: no answer/.test(o)), `each was answered or closed within 20 s:\n${seen}`)
  t.ok(outcomes.filter(o => o.startsWith('Keep-Alive header: ')).every(o => o.endsWith(': 200')), 'Keep-Alive: 200')
  t.ok(outcomes.filter(o => o.startsWith('stalled body: ')).every(o => o.endsWith(': 408')), 'a stalled body: 408')
  t.ok(outcomes.filter(o => o.startsWith('401 ')).every(o => o.endsWith(': 401')), 'no credentials: 401')

  // The clients that went away took their requests with them within bodyTimeout (1 s) or the
  // slow answer (5 s): then no connection of the pool may stay busy, no request queued.
  let pool = await upstreamPool(gw.adminUrl ?? '', 'web')
  await until('the pool idle', async () => { pool = await upstreamPool(gw.adminUrl ?? '', 'web'); return pool.busy === 0 && pool.queued === 0 }).catch(() => {})
  t.same([pool.busy, pool.queued], [0, 0], `no pool slot leaked: ${JSON.stringify(pool)}`)
  const [a, b] = await Promise.all(['/api/slow/200', '/api/slow/200'].map(async path =>
    await rawRequest(t, gw.url, requestBytes('GET', path, host, ['Connection: close']), { ms: 15_000 }).catch((err: Error) => err)))
  for (const res of [a, b]) {
    if (res instanceof Error) t.fail(res.message)
    else {
      t.equal(res.status, 200, 'a normal request gets a normal answer')
      t.equal(echoOf(res.body).url, '/api/slow/200')
    }
  }
})

/**
 * The final status the connection got (skipping 1xx), or how it ended; gives up after 20 s (a
 * request that hangs hangs for good; the margin is for a loaded machine).
 * A stalled body holds its upstream connection until bodyTimeout (1 s): six of them on a pool of
 * two are answered in three rounds, so the last 408 comes after about 3 s.
 */
async function finalStatus (conn: RawConnection): Promise<string> {
  try {
    for (;;) {
      const res = await conn.response({ ms: 20_000 })
      if (res.status >= 200) return String(res.status)
    }
  } catch (err) {
    return conn.ended ? 'closed' : `no answer (${(err as Error).message.slice(0, 40)})`
  }
}
