import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { isRunning, onNewConnection, servedBy, startCli } from '../helpers/cluster.js'

t.test('workers: 2 share the port, a killed worker is replaced, SIGTERM stops them all', async t => {
  const upstream = await startEcho(t)
  const [port, adminPort] = [await freePort(), await freePort()]
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(upstream, '/*', `server:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:${adminPort}
  workers: 2
`))
  const gw = startCli(t, file)
  await gw.waitForLog(() => gw.listeningPids().length === 2)
  const primary = gw.child.pid as number
  const [first, second] = gw.listeningPids() as [number, number]
  t.not(first, second)
  t.notOk([first, second].includes(primary), 'the primary serves nothing itself')
  t.ok(gw.logs.every(l => typeof l.pid === 'number'), 'every log line names the process that wrote it')

  const before = await servedBy(gw, `http://127.0.0.1:${port}/a`, 6)
  t.same(before.statuses, [200, 200, 200, 200, 200, 200])
  t.same(new Set(before.pids), new Set([first, second]), 'both workers serve the one port')
  t.equal((await onNewConnection(`http://127.0.0.1:${adminPort}/healthz`)).status, 200, 'the admin port is shared too')

  process.kill(first, 'SIGKILL')
  await gw.waitForLog(logs => logs.some(l => l.msg === 'worker died: replacing it' && l.worker === first))
  const during = await servedBy(gw, `http://127.0.0.1:${port}/b`, 3)
  t.same(during.statuses, [200, 200, 200], 'the surviving worker serves while the dead one is replaced')
  t.notOk(during.pids.includes(first), 'no request reaches the dead worker')

  await gw.waitForLog(() => gw.listeningPids().length === 3)
  const replacement = gw.listeningPids()[2] as number
  t.notOk([first, second].includes(replacement), 'a new worker process')
  const after = await servedBy(gw, `http://127.0.0.1:${port}/c`, 6)
  t.same(after.statuses, [200, 200, 200, 200, 200, 200])
  t.same(new Set(after.pids), new Set([second, replacement]), 'the replacement serves beside the survivor')

  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0, 'the primary exits 0 once the workers drained')
  t.notOk(isRunning(second), 'no worker left running')
  t.notOk(isRunning(replacement), 'no worker left running')
  t.ok(gw.logs.some(l => l.msg === 'stopping: draining in-flight requests' && l.pid === second), 'each worker drained')
})
