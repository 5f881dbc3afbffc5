import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEchoSeeing } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { startCli } from '../helpers/cluster.js'
import { header, rawConnect, requestBytes, waitUntil } from '../helpers/raw-http.js'
import { until } from '../helpers/until.js'

// SIGTERM: stop accepting, finish in-flight requests, exit. A keep-alive connection (a load
// balancer's pool) must not go on feeding the draining process new requests: the answer in flight
// says Connection: close and the connection is closed after it.
t.test('while draining, an in-flight answer on a keep-alive connection closes it; no new request starts there', async t => {
  const { url: upstream, received } = await startEchoSeeing(t)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(upstream, '/*', `server:
  listen: 127.0.0.1:${port}
  admin: false
  drainTimeout: 60s
`))
  const gw = startCli(t, file)
  const up = await waitUntil(() => gw.logs.some(l => l.msg === 'gatehouse listening') || gw.child.exitCode !== null, 30_000)
  if (!up || gw.child.exitCode !== null) throw new Error(`the gateway did not start: ${gw.output()}`)

  // Another client's slow request keeps the drain going for 10 s: far longer than the answer
  // on the keep-alive connection and its close take, however busy the machine.
  const other = await rawConnect(t, url)
  other.write(requestBytes('GET', '/slow/10000', `127.0.0.1:${port}`))
  const conn = await rawConnect(t, url)
  conn.write(requestBytes('GET', '/slow/1000', `127.0.0.1:${port}`))
  await until('both requests to reach the upstream', () => received.length === 2)
  gw.child.kill('SIGTERM')
  const res = await conn.response({ ms: 30_000 })
  t.equal(res.status, 200, 'the in-flight request is answered')
  t.equal(header(res, 'connection')?.toLowerCase(), 'close', 'with Connection: close')
  const closed = await conn.closedWithin(5000)
  t.ok(closed, 'and the connection is closed after it, while the drain goes on')
  if (!closed) {
    conn.write(requestBytes('GET', '/second', `127.0.0.1:${port}`))
    const second = await conn.response({ ms: 5000 }).catch((err: Error) => err)
    t.ok(second instanceof Error, `no new request is served on it (got ${second instanceof Error ? 'none' : second.status})`)
  }
  const otherRes = await other.response({ ms: 60_000 }).catch((err: Error) => err)
  t.ok(!(otherRes instanceof Error) && otherRes.status === 200, 'the other in-flight request finishes')
  await gw.exited
})
