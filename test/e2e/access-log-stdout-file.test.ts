import t from 'tap'
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { CLI, nodeCommand } from '../helpers/paths.js'

/** The whole lines written so far (a line still being written, without its newline, is left for later). */
function lines (file: string): Array<Record<string, unknown>> {
  const all = readFileSync(file, 'utf8').split('\n')
  all.pop()
  return all.map(l => JSON.parse(l) as Record<string, unknown>)
}

async function until (what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

// stdout redirected to a file (`gatehouse start > access.log`): Node writes it at once, without
// the thread pool. Every line arrives whole, a lone request's without more traffic, and what
// is left at a stop is there after it.
t.test('access lines on stdout when stdout is a file: every line whole, none lost at a stop', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const dir = tempDir(t)
  const config = join(dir, 'gw.yaml')
  writeFileSync(config, publicRouteYaml(upstream, '/*', `server:
  listen: 127.0.0.1:${port}
  admin: false
`))
  const log = join(dir, 'access.log')
  const fd = openSync(log, 'a')
  const child = spawn(...nodeCommand([CLI, 'start', '-c', config]), { stdio: ['ignore', fd, 'inherit'] })
  closeSync(fd)
  const exited = new Promise(resolve => child.once('exit', resolve))
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const requests = (): Array<Record<string, unknown>> => lines(log).filter(l => l.msg === 'request')
  await until('the gateway to listen', () => lines(log).some(l => l.msg === 'gatehouse listening'))
  const url = `http://127.0.0.1:${port}`

  await (await fetch(`${url}/lone`)).arrayBuffer()
  await until('the lone line', () => requests().length === 1)
  t.match(requests()[0], { level: 30, method: 'GET', path: '/lone', status: 200, decision: 'allow' })

  const burst = 300
  for (let i = 0; i < burst; i += 30) {
    await Promise.all(Array.from({ length: 30 }, async (_, k) => await (await fetch(`${url}/burst/${i + k}`)).arrayBuffer()))
  }
  child.kill('SIGTERM')
  await exited
  const paths = new Set(requests().map(l => l.path))
  t.equal(paths.size, 1 + burst, 'every request has its line, the last batch written at the stop')
})
