import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from './ports.js'

export interface TestRedis {
  port: number
  url: string
  /** Kills the server (SIGKILL: as a crash would). */
  kill (): Promise<void>
  /** Starts it again on the same port: empty, or with what it persisted (`persistDir`). */
  start (): Promise<void>
}

interface Teardown { teardown (fn: () => unknown): void }

/**
 * A real redis-server on a free port (never the machine's 6379), stopped when the test ends.
 * With `persistDir` it keeps an append-only file there, fsynced on every write, so a restart
 * (even after a SIGKILL) comes back with every write it acknowledged.
 */
export async function startRedis (t: Teardown, options: { persistDir?: string, args?: string[] } = {}): Promise<TestRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const persistence = options.persistDir === undefined
    ? ['--appendonly', 'no']
    : ['--dir', options.persistDir, '--appendonly', 'yes', '--appendfsync', 'always']
  const start = async (): Promise<void> => {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...(options.args ?? []), '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    child = proc
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000)
      proc.once('error', reject)
      const poll = setInterval(() => {
        const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] })
        probe.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('PONG')) {
            clearInterval(poll)
            clearTimeout(timer)
            resolve()
          }
        })
      }, 50)
      proc.stderr?.on('data', (d: Buffer) => { out += d.toString() })
      proc.once('exit', code => { clearInterval(poll); clearTimeout(timer); reject(new Error(`redis-server exited ${String(code)}: ${out}`)) })
    })
    proc.removeAllListeners('exit')
  }
  const kill = async (): Promise<void> => {
    const proc = child
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>(resolve => {
      proc.once('exit', () => resolve())
      proc.kill('SIGKILL')
    })
  }
  await start()
  t.teardown(kill)
  return { port, url: `redis://127.0.0.1:${port}`, kill, start }
}
