import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { request } from 'undici'
import { tempDir } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { until } from '../helpers/until.js'
import { freePort } from '../helpers/ports.js'
import { call } from '../helpers/http.js'
import { CLI, nodeCommand } from '../helpers/paths.js'

const config = (port: number, upstream: string, path: string): string => `server:
  listen: 127.0.0.1:${port}
  admin: false
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: ${path}
    upstream: web
    policy: public
`

async function startCli (t: Test, file: string): Promise<{ child: ChildProcess, exited: Promise<number | null>, output: () => string }> {
  const child = spawn(...nodeCommand([CLI, 'start', '-c', file]), { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await until('the gateway to listen', () => {
    if (child.exitCode !== null) throw new Error(`gateway did not start: ${out}`)
    return out.includes('gatehouse listening')
  }, 60_000).catch((err: Error) => { throw new Error(`${err.message}: ${out}`) })
  return { child, exited, output: () => out }
}

t.test('SIGHUP reloads the config file', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, config(port, upstream, '/before/*'))
  const gw = await startCli(t, file)
  t.equal((await call(`http://127.0.0.1:${port}/before/x`)).status, 200)
  writeFileSync(file, config(port, upstream, '/after/*'))
  gw.child.kill('SIGHUP')
  // The line is written once the new config is in force.
  await until('the reload', () => gw.output().includes('config reloaded'))
  t.equal((await call(`http://127.0.0.1:${port}/after/x`)).status, 200, 'new config in force')
  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})

t.test('SIGTERM stops accepting, drains the slow in-flight request, exits 0', async t => {
  // The upstream answers only when the test says so: the request is in flight for the whole drain, however slow the machine.
  const held: ServerResponse[] = []
  const server = createServer((_req, res) => { held.push(res) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, config(port, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, '/*'))
  const gw = await startCli(t, file)
  const slow = request(`http://127.0.0.1:${port}/slow`).then(async res => ({ status: res.statusCode, body: await res.body.text() }))
  await until('the slow request to reach the upstream', () => held.length === 1)
  gw.child.kill('SIGTERM')
  await until('the gateway to start draining', () => gw.output().includes('stopping: draining in-flight requests'))
  const refused = await request(`http://127.0.0.1:${port}/fast`).then(() => 'accepted', (err: Error & { code?: string }) => err.code ?? err.message)
  t.equal(refused, 'ECONNREFUSED', 'no new connection is accepted while draining')
  t.equal(gw.child.exitCode, null, 'the gateway waits for the in-flight request')
  held[0].end('finished')
  const answered = await slow
  t.equal(answered.status, 200, 'the in-flight request finished')
  t.equal(answered.body, 'finished')
  t.equal(await gw.exited, 0, 'exit 0')
})
