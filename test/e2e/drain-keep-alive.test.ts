import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Socket } from 'node:net'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { startCli } from '../helpers/cluster.js'
import { header, rawConnect, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'
import { until } from '../helpers/until.js'

// SIGTERM: stop accepting, finish in-flight requests, exit. A keep-alive connection (a load
// balancer's pool) must not go on feeding the draining process new requests: the answer in flight
// says Connection: close and the connection is closed after it.
t.test('while draining, an in-flight answer on a keep-alive connection closes it; no new request starts there', async t => {
  // The upstream holds both answers until the test releases them: the first is answered only once
  // the drain has begun, the other keeps the drain going until the close has been seen, however
  // slow the machine.
  const held = new Map<string, Socket>()
  const upstream = await startRawUpstream(t, (req, socket) => { held.set(req.target, socket) })
  const release = (target: string): void => { held.get(target)?.write(responseBytes(200, [], target)) }
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(upstream.url, '/*', `server:
  listen: 127.0.0.1:${port}
  admin: false
  drainTimeout: 60s
`))
  const gw = startCli(t, file)
  await gw.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening') || gw.child.exitCode !== null)
  if (gw.child.exitCode !== null) throw new Error(`the gateway did not start: ${gw.output()}`)

  const other = await rawConnect(t, url)
  other.write(requestBytes('GET', '/other', `127.0.0.1:${port}`))
  const conn = await rawConnect(t, url)
  conn.write(requestBytes('GET', '/first', `127.0.0.1:${port}`))
  await until('both requests to reach the upstream', () => held.size === 2)
  gw.child.kill('SIGTERM')
  await gw.waitForLog(logs => logs.some(l => l.msg === 'stopping: draining in-flight requests'))
  release('/first')
  const res = await conn.response({ ms: 30_000 })
  t.equal(res.status, 200, 'the in-flight request is answered')
  t.equal(header(res, 'connection')?.toLowerCase(), 'close', 'with Connection: close')
  await t.resolves(until('the keep-alive connection to close', () => conn.ended, 30_000), 'and the connection is closed after it, while the drain goes on')
  t.equal(other.received.length, 0, 'the other request is still in flight')
  t.equal(upstream.requests.length, 2, 'no new request started on the closed connection')
  release('/other')
  const otherRes = await other.response({ ms: 30_000 }).catch((err: Error) => err)
  t.ok(!(otherRes instanceof Error) && otherRes.status === 200, 'the other in-flight request finishes')
  t.equal(await gw.exited, 0, 'the process exits once the drain is over')
})
