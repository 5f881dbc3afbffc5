import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { openSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export async function freePort (): Promise<number> {
  return await new Promise(resolve => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** The dist/ this file was built into: the CLI and the bench's own processes are in it. */
export const DIST = resolve(import.meta.dirname, '..')
/** The CLI as users run it: the bundle the build leaves in dist/bundle. */
export const CLI = join(DIST, 'bundle', 'main.js')

/**
 * The node flags `npm start` (and the image's entry point) run the gateway with, read from the
 * `start` script: the benches start it as a deployment does (docs/operations.md, Memory).
 */
export const START_FLAGS: string[] = (() => {
  const { scripts } = JSON.parse(readFileSync(join(DIST, '..', 'package.json'), 'utf8')) as { scripts: { start: string } }
  const words = scripts.start.split(/\s+/)
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/bundle/main.js'))
})()

export const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

export interface Proc { name: string, child: ChildProcess, pids: () => number[] }

const started: Proc[] = []

/** Starts a process whose output goes to `log` (or nowhere); every one is killed by `stopAll`. */
export function startProc (name: string, cmd: string, args: string[], log?: string): Proc {
  const out = log === undefined ? 'ignore' : openSync(log, 'a')
  const child = spawn(cmd, args, { stdio: ['ignore', out, log === undefined ? 'inherit' : out] })
  const proc: Proc = { name, child, pids: () => child.pid === undefined ? [] : [child.pid] }
  started.push(proc)
  return proc
}

export async function stopAll (): Promise<void> {
  for (const p of started.reverse()) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue
    const exited = new Promise(resolve => p.child.once('exit', resolve))
    p.child.kill('SIGTERM')
    await Promise.race([exited, sleep(15_000)])
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
  }
}

/** Polls until `url` answers 200 (the process may take a while on a loaded machine). */
export async function waitForHttp (url: string, headers: Record<string, string> = {}, proc?: Proc): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (proc !== undefined && proc.child.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.child.exitCode}`)
    try {
      const res = await fetch(url, { headers })
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {}
    await sleep(100)
  }
  throw new Error(`${url} did not answer 200`)
}

/** `VmHWM` (peak) and `VmRSS` (now) in MiB, summed over the given processes. */
export function memoryOf (pids: number[]): { peak: number, now: number } {
  let peak = 0
  let now = 0
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      peak += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
      now += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
    } catch {}
  }
  return { peak, now }
}

/** CPU time (user + system) used so far by the given processes, in ms. */
export function cpuMsOf (pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {}
  }
  return ticks * 1000 / CLOCK_TICKS
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100

/** The pids a process forked (a cluster primary's workers), none when it is gone. */
export function childrenOf (pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * For servers whose parent only forks (nginx, Apache, a gatehouse cluster primary): what
 * serves is the children, so their CPU time and memory are what count, with the parent's.
 */
export function withChildren (proc: Proc): Proc {
  proc.pids = () => proc.child.pid === undefined ? [] : [proc.child.pid, ...childrenOf(proc.child.pid)]
  return proc
}

export async function startRedis (): Promise<{ proc: Proc, url: string }> {
  const port = await freePort()
  const proc = startProc('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'])
  for (let i = 0; i < 100 && spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() !== 'PONG'; i++) await sleep(50)
  return { proc, url: `redis://127.0.0.1:${port}` }
}

/** bench/upstream.ts in its own process on a free port, once it answers. */
export async function startUpstream (): Promise<{ proc: Proc, url: string }> {
  const port = await freePort()
  const proc = startProc('upstream', process.execPath, [join(DIST, 'bench/upstream.js'), String(port)])
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(url, {}, proc)
  return { proc, url }
}

/** When, the exact command line (`script` in dist/bench/) and the machine: the first lines of a bench's output. */
export function runHeader (script: string): string[] {
  return [
    `date: ${new Date().toISOString()}`,
    `command: node dist/bench/${script} ${process.argv.slice(2).map(a => /^[\w.,:=/-]+$/.test(a) ? a : JSON.stringify(a)).join(' ')}`,
    `machine: ${cpus().length} CPUs (nproc ${spawnSync('nproc').stdout.toString().trim()}), ` +
      `${spawnSync('sh', ['-c', "lscpu | sed -n 's/^Model name:[[:space:]]*//p'"]).stdout.toString().trim()}`
  ]
}
