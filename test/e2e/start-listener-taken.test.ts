import t from 'tap'
import { writeFileSync } from 'node:fs'
import { createServer, connect, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { startTestGateway, tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { freePort } from '../helpers/ports.js'
import { startCli } from '../helpers/cluster.js'

interface Teardown { teardown (fn: () => unknown): void }

/** A port another program holds for the whole test (a demo, Prometheus on 9090…). */
async function takenPort (t: Teardown): Promise<number> {
  const holder: Server = createServer()
  await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => holder.close(resolve)))
  return (holder.address() as AddressInfo).port
}

async function refused (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(true))
  })
}

/** Waits for the process to exit, up to a minute (a start that hangs fails here rather than in tap's timeout). */
async function exitCode (exited: Promise<number | null>): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'still running'>(resolve => { timer = setTimeout(() => resolve('still running'), 60_000) })
  const code = await Promise.race([exited, late])
  clearTimeout(timer)
  return code
}

t.test('gatehouse start exits 1 naming the address when the admin port is taken', async t => {
  const admin = await takenPort(t)
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(await startEcho(t), '/*', `server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:${admin}\n`))
  const gw = startCli(t, file)
  t.equal(await exitCode(gw.exited), 1, 'exit 1, not a gateway serving without its health endpoint')
  t.match(gw.output(), `server.admin: cannot listen on 127.0.0.1:${admin}: EADDRINUSE`)
})

t.test('gatehouse start with cache.redis exits 1 naming the address when the public port is taken', async t => {
  const redis = await startRedis(t)
  const port = await takenPort(t)
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, `${publicRouteYaml(await startEcho(t), '/*', `server:\n  listen: 127.0.0.1:${port}\n  admin: false\n`)}cache:\n  redis: ${redis.url}\n`)
  const gw = startCli(t, file)
  t.equal(await exitCode(gw.exited), 1, 'exit 1, not a process held open by its Redis connections')
  t.match(gw.output(), `server.listen: cannot listen on 127.0.0.1:${port}: EADDRINUSE`)
})

t.test('with workers, a taken port stops the primary (exit 1) instead of replacing workers forever', async t => {
  const admin = await takenPort(t)
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(await startEcho(t), '/*', `server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:${admin}\n  workers: 2\n`))
  const gw = startCli(t, file)
  t.equal(await exitCode(gw.exited), 1, 'the primary exits 1')
  t.match(gw.output(), `server.admin: cannot listen on 127.0.0.1:${admin}: EADDRINUSE`)
  t.notOk(gw.logs.some(l => l.msg === 'worker died: replacing it'), 'no worker is replaced')
})

t.test('startGateway rejects and closes the public listener it had opened when the admin port is taken', async t => {
  const admin = await takenPort(t)
  const port = await freePort()
  const started = startTestGateway(t, publicRouteYaml(await startEcho(t), '/*', `server:\n  listen: 127.0.0.1:${port}\n  admin: 127.0.0.1:${admin}\n`))
  await t.rejects(started, { name: 'Error', key: 'server.admin', address: `127.0.0.1:${admin}`, code: 'EADDRINUSE' })
  t.ok(await refused(port), 'the public port is closed again')
})
