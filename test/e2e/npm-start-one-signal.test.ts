import t from 'tap'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { publicRouteYaml, tempDir } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { ROOT, nodeCommand } from '../helpers/paths.js'
import { until } from '../helpers/until.js'

async function listening (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return await new Promise(resolve => {
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

// A process manager stops `npm start` with one SIGTERM to npm: the gateway must get it, not be
// left running re-parented to init (npm signals its script's shell, which `exec` replaces).
t.test('npm start: one SIGTERM to npm drains and stops the gateway', async t => {
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(await startEcho(t), '/*', 'server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n'))
  const npm = spawn(...nodeCommand(['start', '--silent'], 'npm'), {
    cwd: ROOT,
    env: { ...process.env, GATEHOUSE_CONFIG: file },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: whatever the signal leaves behind is killed with the group at the end.
    detached: true
  })
  t.teardown(() => {
    try {
      process.kill(-(npm.pid as number), 'SIGKILL')
    } catch {
      // The group is gone already: nothing was left behind.
    }
  })
  let out = ''
  npm.stdout.on('data', (d: Buffer) => { out += d.toString() })
  npm.stderr.on('data', (d: Buffer) => { out += d.toString() })
  let exited = false
  npm.once('exit', () => { exited = true })
  await until('the gateway to listen', () => out.includes('gatehouse listening') || npm.exitCode !== null, 60_000)
  const started = out.split('\n').filter(l => l.includes('gatehouse listening')).map(l => JSON.parse(l) as { url: string, admin: string })[0]
  if (started === undefined) throw new Error(`npm start did not start the gateway: ${out}`)
  t.ok(await listening(started.url), 'the gateway is up')

  npm.kill('SIGTERM')
  await until('npm to exit', () => exited, 60_000)
  await until('the gateway to stop listening', async () => !await listening(started.url) && !await listening(started.admin), 30_000)
  t.match(out, /"signal":"SIGTERM".*stopping: draining in-flight requests/, 'the gateway drained on the SIGTERM')
})
