import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { servedBy, startCli } from '../helpers/cluster.js'

const config = (port: number, upstream: string, path: string): string => `server:
  listen: 127.0.0.1:${port}
  admin: false
  workers: 2
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: ${path}
    upstream: web
    policy: public
`

t.test('workers: SIGHUP to the primary reloads the config in every worker', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, config(port, upstream, '/before/*'))
  const gw = startCli(t, file)
  await gw.waitForLog(() => gw.listeningPids().length === 2)
  const workers = gw.listeningPids()

  writeFileSync(file, config(port, upstream, '/after/*'))
  gw.child.kill('SIGHUP')
  await gw.waitForLog(logs => new Set(logs.filter(l => l.msg === 'config reloaded').map(l => l.pid)).size === 2)
  t.same(new Set(gw.logs.filter(l => l.msg === 'config reloaded').map(l => l.pid)), new Set(workers), 'each worker reloaded')

  const after = await servedBy(gw, `http://127.0.0.1:${port}/after/x`, 6)
  t.same(after.statuses, [200, 200, 200, 200, 200, 200], 'the new config is in force')
  t.same(new Set(after.pids), new Set(workers), 'in both workers')
  const before = await servedBy(gw, `http://127.0.0.1:${port}/before/x`, 4)
  t.same(before.statuses, [404, 404, 404, 404], 'the old routes are gone everywhere')

  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})
