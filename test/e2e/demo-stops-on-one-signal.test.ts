import t from 'tap'
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { ROOT, nodeCommand } from '../helpers/paths.js'

/** Whether something accepts connections on the port. */
async function listening (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

// `npm run demo` as a user runs it (the build step, `predemo`, skipped: dist is built), stopped
// by one signal to npm itself, as a process manager or `kill <pid>` sends it.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`npm run demo: one ${signal} to npm stops the gateway too`, async t => {
    const npm = spawn(...nodeCommand(['run', 'demo', '--ignore-scripts', '--silent'], 'npm'), {
      cwd: ROOT,
      // Ports the gateway picks itself and prints: a port chosen here could be taken by another test before the demo binds it.
      env: { ...process.env, DEMO_LISTEN: '127.0.0.1:0', DEMO_ADMIN: '127.0.0.1:0' },
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
    let err = ''
    npm.stderr.on('data', (d: Buffer) => { err += d.toString() })
    await new Promise<void>((resolve, reject) => {
      npm.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('nothing undeclared')) resolve() })
      npm.once('exit', code => reject(new Error(`npm exited ${String(code)} before the demo was up: ${out}${err}`)))
    })
    const port = Number(/the gateway on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1])
    const admin = Number(/Admin: http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1])
    t.ok(port > 0 && admin > 0, 'the demo prints where it listens')
    t.ok(await listening(port), 'the demo gateway is up')
    const exited = new Promise<void>(resolve => npm.once('exit', () => resolve()))
    npm.kill(signal)
    const gone = await Promise.race([exited.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), 20_000).unref())])
    t.ok(gone, `npm exits on one ${signal}`)
    // The child had its own chance to close: give a lingering one time to show it is still there.
    let stillThere = true
    for (let i = 0; i < 50 && stillThere; i++) {
      stillThere = await listening(port) || await listening(admin)
      if (stillThere) await new Promise(resolve => setTimeout(resolve, 100))
    }
    t.notOk(stillThere, 'nothing listens on the demo ports once npm is gone')
  })
}
