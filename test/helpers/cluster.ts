import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { CLI, nodeCommand } from './paths.js'

interface Teardown { teardown (fn: () => unknown): void }

export interface CliGateway {
  child: ChildProcess
  exited: Promise<number | null>
  /** Every JSON log line written so far (primary and workers share stdout). */
  logs: Array<Record<string, unknown>>
  output (): string
  /** Waits until `predicate` holds on the logs; throws with the output after `ms`. */
  waitForLog (predicate: (logs: Array<Record<string, unknown>>) => boolean, ms?: number): Promise<void>
  /** Pids of the workers that logged "gatehouse listening". */
  listeningPids (): number[]
}

/**
 * Runs `gatehouse start -c file` from the built output, as an operator would; every process
 * it started is SIGKILLed when the test ends if it is still running. `nodeArgs` go to node before the CLI (workers inherit them);
 * `launcher`, when given, is a command that runs the rest of its arguments in the same process (a shell's `exec`).
 */
export function startCli (t: Teardown, file: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = [], launcher: string[] = []): CliGateway {
  const [program, args] = nodeCommand([...nodeArgs, CLI, 'start', '-c', file])
  const [command, ...commandArgs] = [...launcher, program, ...args] as [string, ...string[]]
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let out = ''
  let partial = ''
  const logs: Array<Record<string, unknown>> = []
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
    const lines = (partial + d.toString()).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>)
  })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const listeningPids = (): number[] => logs.filter(l => l.msg === 'gatehouse listening').map(l => l.pid as number)
  t.teardown(() => {
    for (const pid of [...listeningPids(), ...logs.filter(l => l.msg === 'worker started').map(l => l.worker as number)]) {
      if (isRunning(pid)) process.kill(pid, 'SIGKILL')
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return {
    child,
    exited,
    logs,
    output: () => out,
    listeningPids,
    async waitForLog (predicate, ms = 60_000) {
      const deadline = Date.now() + ms
      while (!predicate(logs)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for a log line; output:\n${out}`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
  }
}

export function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A request on a new connection closed after the answer, so node:cluster can hand each one to another worker. */
export async function onNewConnection (
  url: string,
  options: { method?: string, headers?: Record<string, string>, body?: string } = {}
): Promise<{ status: number, requestId: string, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', agent: false, headers: { connection: 'close', ...options.headers } }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id']), body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Sends `n` requests, each on its own connection; the status of each and the pid of the worker that served it. */
export async function servedBy (gw: CliGateway, url: string, n: number, headers: Record<string, string> = {}): Promise<{ statuses: number[], pids: number[] }> {
  const answers = []
  for (let i = 0; i < n; i++) answers.push(await onNewConnection(url, { headers }))
  const ids = new Set(answers.map(a => a.requestId))
  await gw.waitForLog(logs => logs.filter(l => l.msg === 'request' && ids.has(l.reqId as string)).length === n, 10_000)
  const pidOf = new Map(gw.logs.filter(l => l.msg === 'request').map(l => [l.reqId as string, l.pid as number]))
  return { statuses: answers.map(a => a.status), pids: answers.map(a => pidOf.get(a.requestId) as number) }
}
