import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { startCli } from '../helpers/cluster.js'
import { freePort } from '../helpers/ports.js'
import { closed, mustOpen, nextMessage, startWsUpstream } from '../helpers/websocket.js'
import { until } from '../helpers/until.js'

t.test('SIGTERM: open WebSockets keep working through the drain, then are closed with 1001', async t => {
  const upstream = await startWsUpstream(t)
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, `server:
  listen: 127.0.0.1:${port}
  admin: false
  drainTimeout: 5s
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /live/*, upstream: live, policy: public, websocket: true }
`)
  const gw = startCli(t, file)
  await gw.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  const { ws } = await mustOpen(`http://127.0.0.1:${port}/live/feed`)
  const end = closed(ws)
  const signalled = Date.now()
  gw.child.kill('SIGTERM')

  // The drain has started, and has seconds to go: room for a busy machine to relay a message.
  await gw.waitForLog(logs => logs.some(l => l.msg === 'stopping: draining in-flight requests'))
  ws.send('still draining')
  t.equal((await nextMessage(ws)).data.toString(), 'still draining', 'the connection still carries messages while the gateway drains')
  const refused = await mustOpen(`http://127.0.0.1:${port}/live/feed`).then(() => 'opened', (err: Error & { code?: string }) => err.code ?? err.message)
  t.equal(refused, 'ECONNREFUSED', 'no new connection is accepted')

  const close = await end
  t.same(close, { code: 1001, reason: 'server shutting down' }, 'then 1001 going away')
  t.ok(Date.now() - signalled >= 4800, 'after the drain timeout')
  await t.resolves(until('the upstream to see 1001', () => upstream.closes.some(c => c.code === 1001), 30_000), 'the upstream is told 1001 too')
  t.equal(await gw.exited, 0, 'exit 0')
})

t.test('SIGTERM after a reload: WebSockets still on the old config are drained on the same deadline', async t => {
  const upstream = await startWsUpstream(t)
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  const config = (path: string): string => `server:
  listen: 127.0.0.1:${port}
  admin: false
  drainTimeout: 1s
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: ${path}, upstream: live, policy: public, websocket: true }
`
  writeFileSync(file, config('/live/*'))
  const gw = startCli(t, file)
  await gw.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  const old = await mustOpen(`http://127.0.0.1:${port}/live/feed`)
  writeFileSync(file, config('/*'))
  gw.child.kill('SIGHUP')
  await gw.waitForLog(logs => logs.some(l => l.msg === 'config reloaded'))
  const current = await mustOpen(`http://127.0.0.1:${port}/other`)
  const ends = [closed(old.ws), closed(current.ws)]
  const signalled = Date.now()
  gw.child.kill('SIGTERM')
  const [oldEnd, currentEnd] = await Promise.all(ends)
  t.equal(oldEnd.code, 1001, 'the connection on the old config gets 1001')
  t.equal(currentEnd.code, 1001, 'so does the one on the config in force')
  t.equal(await gw.exited, 0, 'exit 0')
  t.ok(Date.now() - signalled < 10_000, `without waiting out the old config's minute (${Date.now() - signalled} ms)`)
})
