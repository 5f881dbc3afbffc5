import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from './ports.js'

/** A real upstream process answering its own name: killed and restarted on the same port. */
const TARGET = `
const name = process.argv[1], port = Number(process.argv[2])
require('node:http').createServer((req, res) => { req.resume(); res.end(name) })
  .listen(port, '127.0.0.1', () => process.stdout.write('ready\\n'))
`

export interface Target { name: string, port: number, url: string, proc: ChildProcess | undefined }

/** One target per name, each on its own free port, not started yet. */
export async function targetsNamed (names: readonly string[]): Promise<Target[]> {
  const targets: Target[] = []
  for (const name of names) {
    const port = await freePort()
    targets.push({ name, port, url: `http://127.0.0.1:${port}`, proc: undefined })
  }
  return targets
}

export async function startTarget (t: { teardown (fn: () => unknown): void }, target: Target): Promise<void> {
  const proc = spawn(process.execPath, ['-e', TARGET, target.name, String(target.port)], { stdio: ['ignore', 'pipe', 'inherit'] })
  target.proc = proc
  t.teardown(() => { proc.kill('SIGKILL') })
  await once(proc.stdout as NodeJS.ReadableStream, 'data')
}

/** Kills a target outright; resolves with the time its process was gone. */
export async function kill (target: Target): Promise<number> {
  const proc = target.proc as ChildProcess
  target.proc = undefined
  const exited = once(proc, 'exit')
  proc.kill('SIGKILL')
  await exited
  return performance.now()
}
