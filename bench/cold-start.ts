/**
 * `npm run bench:cold-start [-- --runs 5 --node PATH]`: what every rollout, autoscaling step and
 * CI `check` pays before gatehouse does anything, beside bare `node -e 0` in the same run:
 * `check` wall time, start to first answer (wall and CPU time), and idle RSS after start, for a one-route config
 * and for the full example config. Medians of `--runs`, alternating the commands; the ratios
 * to bare node are what bench/RESULTS.md records (targets: check ≤ 3×, first answer ≤ 5×,
 * idle RSS ≤ 2×).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { CLI, freePort, START_FLAGS } from './procs.js'

const { values: opt } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, node: { type: 'string', default: process.execPath }, 'idle-ms': { type: 'string', default: '3000' } }
})
const RUNS = Number(opt.runs)
const NODE = opt.node
const IDLE_MS = Number(opt['idle-ms'])
const ROOT = resolve(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cold-'))
// The compile cache (Node ≥ 22.1) as a deployment keeps it between starts: warmed by a `check` and
// a start of each config before the measured runs (a running gateway writes it a second after it
// serves). A start with an empty cache, a new machine's or container's first, is measured beside.
const CACHE = join(dir, 'compile-cache')
const env = { ...process.env, NODE_COMPILE_CACHE: CACHE, DEMO_UPSTREAM: 'http://127.0.0.1:9' }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number

function oneRoute (listen: number, admin: number): string {
  return `server: { listen: 127.0.0.1:${listen}, admin: 127.0.0.1:${admin}, logLevel: warn }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: web, policy: public }
`
}

/** The demo's config (every policy kind, API key and JWT authenticators) on the given ports. */
function fullExample (listen: number, admin: number): string {
  return readFileSync(join(ROOT, 'examples', 'demo', 'gateway.config.yaml'), 'utf8')
    .replace('${DEMO_LISTEN:-127.0.0.1:8080}', `127.0.0.1:${listen}`)
    .replace('${DEMO_ADMIN:-127.0.0.1:9090}', `127.0.0.1:${admin}`)
}

/** utime + stime of `pid` (`self` with `children`: of the waited-for children), ms (10 ms ticks). */
function cpuMs (pid: number | 'self', children = false): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ').map(Number)
  // After the command and state: utime, stime at 11 and 12, cutime, cstime at 13 and 14.
  const at = children ? 13 : 11
  return ((fields[at] as number) + (fields[at + 1] as number)) * 10
}

let lastCpuMs = 0
function wallMs (args: string[]): number {
  const t0 = process.hrtime.bigint()
  const c0 = cpuMs('self', true)
  const r = spawnSync(NODE, args, { env, stdio: 'ignore' })
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${String(r.status)}`)
  lastCpuMs = cpuMs('self', true) - c0
  return Number(process.hrtime.bigint() - t0) / 1e6
}

async function answered (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz' }, res => { res.resume(); resolve(res.statusCode === 200) })
    req.on('error', () => resolve(false))
    req.end()
  })
}

function rssKiB (pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('VmRSS:')) ?? ''
  return Number(/(\d+)/.exec(line)?.[1] ?? NaN)
}

/**
 * RSS once the process idles: after `IDLE_MS`, sampled each 500 ms until two seconds go by
 * without it moving by more than 1 MiB (V8's idle collections have settled), 30 s at most.
 */
async function settledRssMiB (pid: number): Promise<number> {
  await sleep(IDLE_MS)
  const samples = [rssKiB(pid) / 1024]
  for (let i = 0; i < 60; i++) {
    await sleep(500)
    samples.push(rssKiB(pid) / 1024)
    const recent = samples.slice(-5)
    if (recent.length === 5 && Math.max(...recent) - Math.min(...recent) <= 1) break
  }
  return samples[samples.length - 1] as number
}

/**
 * Launch to the admin listener's first 200, then RSS once idle (settledRssMiB); with `cache`, on
 * that compile cache folder and without the RSS.
 */
async function start (config: (listen: number, admin: number) => string, cache = CACHE): Promise<{ firstMs: number, cpuMs: number, rssMiB: number }> {
  const listen = await freePort()
  const admin = await freePort()
  const file = join(dir, `gw-${listen}.yaml`)
  writeFileSync(file, config(listen, admin))
  const t0 = process.hrtime.bigint()
  const child = spawn(NODE, [...START_FLAGS, CLI, 'start', '-c', file], { env: { ...env, NODE_COMPILE_CACHE: cache }, stdio: 'ignore' })
  try {
    for (let i = 0; !(await answered(admin)); i++) {
      if (i > 6000 || child.exitCode !== null) throw new Error(`gatehouse did not answer (exit ${String(child.exitCode)})`)
      await sleep(2)
    }
    const firstMs = Number(process.hrtime.bigint() - t0) / 1e6
    // CPU time moves far less with the machine's load than wall time does.
    const cpu = cpuMs(child.pid as number)
    return { firstMs, cpuMs: cpu, rssMiB: cache === CACHE ? await settledRssMiB(child.pid as number) : NaN }
  } finally {
    child.kill('SIGKILL')
    await new Promise(resolve => child.once('exit', resolve))
  }
}

async function bareRssMiB (): Promise<number> {
  const child = spawn(NODE, ['-e', 'setTimeout(() => {}, 60000)'], { env, stdio: 'ignore' })
  const rss = await settledRssMiB(child.pid as number)
  child.kill('SIGKILL')
  return rss
}

try {
  const oneFile = join(dir, 'one.yaml')
  writeFileSync(oneFile, oneRoute(1, 2))
  const fullFile = join(dir, 'full.yaml')
  writeFileSync(fullFile, fullExample(1, 2))
  wallMs([CLI, 'check', '-c', oneFile])
  await start(oneRoute)
  await start(fullExample)
  const measures = [
    'bare', 'bareCpu', 'checkOne', 'checkFull', 'firstOne', 'firstFull', 'coldOne', 'coldFull', 'cpuOne', 'cpuFull', 'rssOne', 'rssFull', 'rssBare'
  ]
  const rows: Record<string, number[]> = Object.fromEntries(measures.map(name => [name, []]))
  const load = [loadavg()[0]]
  for (let i = 0; i < RUNS; i++) {
    rows.bare?.push(wallMs(['-e', '0']))
    rows.bareCpu?.push(lastCpuMs)
    rows.checkOne?.push(wallMs([CLI, 'check', '-c', oneFile]))
    rows.checkFull?.push(wallMs([CLI, 'check', '-c', fullFile]))
    const one = await start(oneRoute)
    const full = await start(fullExample)
    rows.firstOne?.push(one.firstMs)
    rows.cpuOne?.push(one.cpuMs)
    rows.cpuFull?.push(full.cpuMs)
    rows.rssOne?.push(one.rssMiB)
    rows.firstFull?.push(full.firstMs)
    rows.rssFull?.push(full.rssMiB)
    rows.rssBare?.push(await bareRssMiB())
    rows.coldOne?.push((await start(oneRoute, join(dir, `empty-cache-${i}-one`))).firstMs)
    rows.coldFull?.push((await start(fullExample, join(dir, `empty-cache-${i}-full`))).firstMs)
    load.push(loadavg()[0])
  }
  const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)])) as Record<keyof typeof rows, number>
  const version = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim()
  const lines = [
    `node ${version}, ${RUNS} runs, load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}`,
    '',
    '| measure | one route | full example | bare node | ratio (one / full) | target |',
    '|---|---:|---:|---:|---:|---|',
    `| \`check\` wall ms | ${m.checkOne.toFixed(0)} | ${m.checkFull.toFixed(0)} | ${m.bare.toFixed(0)} ` +
      `| ${(m.checkOne / m.bare).toFixed(1)}× / ${(m.checkFull / m.bare).toFixed(1)}× | ≤ 3× |`,
    `| start to first answer ms | ${m.firstOne.toFixed(0)} | ${m.firstFull.toFixed(0)} | ${m.bare.toFixed(0)} ` +
      `| ${(m.firstOne / m.bare).toFixed(1)}× / ${(m.firstFull / m.bare).toFixed(1)}× | ≤ 5× |`,
    `| … with an empty compile cache ms | ${m.coldOne.toFixed(0)} | ${m.coldFull.toFixed(0)} | ${m.bare.toFixed(0)} ` +
      `| ${(m.coldOne / m.bare).toFixed(1)}× / ${(m.coldFull / m.bare).toFixed(1)}× | |`,
    `| CPU ms to first answer | ${m.cpuOne.toFixed(0)} | ${m.cpuFull.toFixed(0)} | ${m.bareCpu.toFixed(0)} ` +
      `| ${(m.cpuOne / m.bareCpu).toFixed(1)}× / ${(m.cpuFull / m.bareCpu).toFixed(1)}× | (≤ 5×, as wall time) |`,
    `| idle RSS MiB | ${m.rssOne.toFixed(0)} | ${m.rssFull.toFixed(0)} | ${m.rssBare.toFixed(0)} ` +
      `| ${(m.rssOne / m.rssBare).toFixed(1)}× / ${(m.rssFull / m.rssBare).toFixed(1)}× | ≤ 2× |`
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
