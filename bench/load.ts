import { spawn, spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

export interface LoadResult {
  rps: number
  requests: number
  /** Milliseconds. */
  p50: number
  p99: number
  non2xx: number
  errors: number
}

export interface LoadSpec {
  url: string
  connections: number
  seconds: number
  headers?: Record<string, string>
  /** Each request carries the next of these as `Authorization: Bearer`; one array per wrk thread. */
  bearer?: string[][]
  /** Extra autocannon options (`amount`, `requests`…); used only where autocannon drives. */
  cannon?: Record<string, unknown>
  /**
   * wrk only: each connection pauses after an answer before its next request, for a random
   * time with this mean in ms (exponentially distributed, so the connections' requests arrive
   * independently of each other rather than together).
   */
  thinkMs?: number
}

export const THREADS = 2
export const hasWrk = spawnSync('wrk', ['-v']).error === undefined

interface CannonResult { requests: { average: number, total: number }, latency: { p50: number, p99: number }, non2xx: number, errors: number, timeouts: number }
type Cannon = (opts: Record<string, unknown>) => Promise<CannonResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon

const luaString = (s: string): string => JSON.stringify(s)

/**
 * The wrk script: a `done` that prints the numbers as JSON; with tokens, a `request` that
 * cycles through this thread's own token file (a fixed request otherwise, wrk's fast path);
 * paced, a `delay` that draws each connection's pause.
 */
function wrkScript (dir: string, spec: LoadSpec): string {
  const lines = [
    'wrk.headers = {}',
    'local threads = 0',
    'function setup (thread) threads = threads + 1; thread:set("id", threads) end'
  ]
  const init: string[] = []
  for (const [k, v] of Object.entries(spec.headers ?? {})) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`)
  if (spec.bearer !== undefined) {
    const files = spec.bearer.map((tokens, i) => {
      const file = join(dir, `tokens-${i}.txt`)
      writeFileSync(file, tokens.join('\n') + '\n')
      return file
    })
    lines.push(
      `local files = {${files.map(luaString).join(', ')}}`,
      'local tokens, n, i = {}, 0, 1',
      'function request ()',
      '  wrk.headers["Authorization"] = "Bearer " .. tokens[i]',
      '  i = i % n + 1',
      '  return wrk.format()',
      'end')
    init.push('for line in io.lines(files[id]) do n = n + 1; tokens[n] = line end')
  }
  if (spec.thinkMs !== undefined) {
    // wrk truncates delay() to whole ms: the scale makes the mean of the truncated pauses thinkMs.
    lines.push(`local scale = ${exponentialScale(spec.thinkMs)}`, 'function delay () return math.floor(-math.log(1 - math.random()) * scale) end')
    init.push(`math.randomseed(${randomInt(2 ** 30)} + id)`)
  }
  if (init.length > 0) lines.push(`function init () ${init.join('; ')} end`)
  lines.push(
    'function done (s, latency)',
    '  io.write(string.format(\'BENCH {"requests":%d,"us":%d,"p50":%d,"p99":%d,"status":%d,"errors":%d}\\n\',',
    '    s.requests, s.duration, latency:percentile(50), latency:percentile(99), s.errors.status,',
    '    s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout))',
    'end')
  const file = join(dir, 'bench.lua')
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

async function runWrk (dir: string, spec: LoadSpec): Promise<LoadResult> {
  const script = wrkScript(dir, spec)
  const child = spawn('wrk', [`-t${THREADS}`, `-c${spec.connections}`, `-d${spec.seconds}s`, '--timeout', '10s', '-s', script, spec.url], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  await new Promise(resolve => child.on('close', resolve))
  const line = out.split('\n').find(l => l.startsWith('BENCH '))
  if (line === undefined) throw new Error(`wrk printed no result:\n${out}`)
  const r = JSON.parse(line.slice(6)) as { requests: number, us: number, p50: number, p99: number, status: number, errors: number }
  return { rps: r.requests / (r.us / 1e6), requests: r.requests, p50: r.p50 / 1000, p99: r.p99 / 1000, non2xx: r.status, errors: r.errors }
}

async function runCannon (spec: LoadSpec & { overallRate?: number }): Promise<LoadResult> {
  const tokens = spec.bearer?.flat()
  let next = 0
  const r = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    headers: spec.headers,
    ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
    ...(tokens === undefined
      ? {}
      : {
          requests: [
            {
              setupRequest: (req: { headers?: Record<string, string> }) => ({
                ...req,
                headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length] as string}` }
              })
            }
          ]
        }),
    ...spec.cannon
  })
  return { rps: r.requests.average, requests: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts }
}

/** Full-speed load: wrk when installed, autocannon otherwise. */
export async function load (dir: string, spec: LoadSpec): Promise<LoadResult> {
  return hasWrk ? await runWrk(dir, spec) : await runCannon(spec)
}

/**
 * Load at about a fixed total rate: wrk when installed, each connection pausing after each
 * answer for a random time (exponential, mean `thinkMs`), latencies in microseconds from its
 * own process; `rps` says what the rate came to. Random pauses keep the connections' requests
 * independent: fixed ones end on the same millisecond ticks, and their requests arrive in
 * bursts that measure the burst's queue, not the hop. Without wrk, autocannon's `overallRate`
 * (1 ms resolution, in this process). Both wait for an answer before the next request on a
 * connection: a stall holds back what would have arrived behind it, so p99 is a lower bound
 * under stalls, the same for every target.
 */
export async function loadAtRate (dir: string, spec: LoadSpec, overallRate: number): Promise<LoadResult> {
  if (!hasWrk) return await runCannon({ ...spec, overallRate })
  return await runWrk(dir, { ...spec, thinkMs: thinkMs(spec.connections, overallRate) })
}

/** Load at a fixed total rate with autocannon, whatever is installed: for runs that need its per-request hooks (`cannon.requests`). */
export async function cannonAtRate (spec: LoadSpec, overallRate: number): Promise<LoadResult> {
  return await runCannon({ ...spec, overallRate })
}

/** The mean pause per connection between an answer and its next request that comes nearest `rate` in total, answers taking ~0.5 ms. */
export function thinkMs (connections: number, rate: number): number {
  return Math.max(0, connections * 1000 / rate - 0.5)
}

/**
 * The scale `s` for which `floor(s · X)`, X exponential with mean 1, has mean `mean`:
 * that mean is Σₖ e^(−k/s) = 1 / (e^(1/s) − 1).
 */
function exponentialScale (mean: number): number {
  return mean > 0 ? 1 / Math.log1p(1 / mean) : 0
}
