/**
 * `npm run soak -- [--minutes 60] [--rate 200] [--redis-every 5] [--reload-every 2] [--upstream-every 10]
 * [--window 5] [--max-inflight 2000]`:
 * a steady open-loop load over a mix of routes (public, API key, JWT, introspection at a real
 * authorization server, user API token, browser session cookie, WebSocket) while Redis, the
 * config (SIGHUP) and the upstream are restarted on their own intervals (minutes, fractions
 * allowed). Prints each window's latency as it ends, then failures by cause (those inside a
 * disruption's window counted apart), requests not sent because `--max-inflight` were still
 * unanswered (a gateway behind its rate), RSS per minute, and at the end the gateway's open sockets and its upstream pool
 * slots (gatehouse_upstream_connections / _queued_requests: back to idle, none busy).
 *
 * The full run, one hour at the defaults: `npm run soak -- --minutes 60` (with `--rate` at half
 * the measured capacity, see bench/RESULTS.md). Beside RSS each minute it samples the gateway's
 * JS heap in use and external memory off /metrics: RSS that grows while the heap stays flat is
 * the allocator's or native memory, not objects the gateway holds on to.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readlinkSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { WebSocket, WebSocketServer } from 'ws'
import { SignJWT } from 'jose'
import { KEYS, keyHash } from '../test/helpers/gateway.js'
import { startAuthServer, AS_CLIENTS } from '../test/helpers/oauth-server.js'
import { runTokens, printedToken } from '../test/helpers/api-tokens.js'
import { CLI, freePort, START_FLAGS, waitForHttp } from './procs.js'
import { benchOidcYaml, benchSessionCookie } from './session.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    rate: { type: 'string', default: '200' },
    'redis-every': { type: 'string', default: '5' },
    'reload-every': { type: 'string', default: '2' },
    'upstream-every': { type: 'string', default: '10' },
    window: { type: 'string', default: '5' },
    'max-inflight': { type: 'string', default: '2000' }
  }
})
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const maxInflight = Number(values['max-inflight'])
const MIN = 60_000
const SECRET = 'soak-hs256-secret-0123456789abcdef0123456789'
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-soak-'))
const teardowns: Array<() => unknown> = []
const log = (s: string): void => { console.log(`${new Date().toISOString().slice(11, 19)} ${s}`) }

// Redis, persisted so user tokens and sessions outlive its restarts.
const redisPort = await freePort()
let redis: ChildProcess | undefined
async function startRedisProc (): Promise<void> {
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--appendonly', 'yes', '--loglevel', 'warning'],
    { stdio: 'ignore' }
  )
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const p = spawn('redis-cli', ['-p', String(redisPort), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] })
      let out = ''
      p.stdout.on('data', (d: Buffer) => { out += d.toString() })
      p.on('exit', () => resolve(out.includes('PONG')))
    })
    if (ok) return
    await sleep(50)
  }
  throw new Error('redis-server did not start')
}
async function stopRedisProc (): Promise<void> {
  const p = redis
  if (p === undefined || p.exitCode !== null) return
  await new Promise(resolve => { p.once('exit', resolve); p.kill('SIGKILL') })
}
await startRedisProc()
teardowns.push(stopRedisProc)

// The upstream: HTTP answers and a WebSocket echo, on one port it comes back to.
const upstreamPort = await freePort()
let upstream: { server: Server, wss: WebSocketServer } | undefined
async function startUpstream (): Promise<void> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
  })
  server.keepAliveTimeout = 120_000
  const wss = new WebSocketServer({ server })
  wss.on('connection', ws => { ws.on('message', (m, binary) => ws.send(m, { binary })); ws.on('error', () => {}) })
  await new Promise<void>(resolve => server.listen(upstreamPort, '127.0.0.1', resolve))
  upstream = { server, wss }
}
async function stopUpstream (): Promise<void> {
  const u = upstream
  if (u === undefined) return
  for (const ws of u.wss.clients) ws.terminate()
  u.wss.close()
  u.server.closeAllConnections()
  await new Promise(resolve => u.server.close(resolve))
  upstream = undefined
}
await startUpstream()
teardowns.push(stopUpstream)

const as = await startAuthServer({ teardown: fn => teardowns.push(fn) })
const port = await freePort()
const adminPort = await freePort()
const file = join(dir, 'gateway.config.yaml')
let generation = 0
function writeConfig (): void {
  writeFileSync(
    file,
    `# generation ${generation++}
server:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:${adminPort}
  logLevel: warn
cache:
  redis: redis://127.0.0.1:${redisPort}
clients:
  - id: android
    apiKeys: [{ hash: "${keyHash(KEYS.android)}" }]
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  idp: { type: jwt, issuer: "https://idp.soak/", audience: soak, secret: "${SECRET}", algorithms: [HS256] }
  oauth: { type: introspection, endpoint: "${as.introspectionEndpoint}", clientId: ${AS_CLIENTS.basic.id},
    clientSecret: ${AS_CLIENTS.basic.secret}, cacheTtl: 30s }
  personal: { type: userToken }
${benchOidcYaml()}upstreams:
  web: { url: "http://127.0.0.1:${upstreamPort}" }
routes:
  - { match: /public/*, upstream: web, policy: public }
  - { match: /key/*, upstream: web, policy: client, client: [appKey] }
  - { match: /jwt/*, upstream: web, policy: user, user: [idp] }
  - { match: /introspect/*, upstream: web, policy: user, user: [oauth] }
  - { match: /token/*, upstream: web, policy: user, user: [personal] }
  - { match: /session/*, upstream: web, policy: user, user: [browser] }
  - { match: /ws/*, upstream: web, policy: user, user: [idp], websocket: true }
`
  )
}
writeConfig()
const gateway = spawn(process.execPath, [...START_FLAGS, CLI, 'start', '-c', file], { stdio: ['ignore', 'ignore', 'inherit'] })
teardowns.push(async () => { if (gateway.exitCode === null) { gateway.kill('SIGTERM'); await new Promise(resolve => gateway.once('exit', resolve)) } })
const base = `http://127.0.0.1:${port}`
await waitForHttp(`${base}/public/up`)

const now = Math.floor(Date.now() / 1000)
const jwt = await new SignJWT({ sub: 'alice', iss: 'https://idp.soak/', aud: 'soak', iat: now, exp: now + 86_400 })
  .setProtectedHeader({ alg: 'HS256' })
  .sign(new TextEncoder().encode(SECRET))
const opaque = await as.mint({ sub: 'bob', expiresIn: 86_400 })
const created = await runTokens(['new', '--user', 'carol', '-c', file])
const userApiToken = printedToken(created.out)
const cookie = await benchSessionCookie(file)
const kinds: Array<{ name: string, path: string, headers: Record<string, string> }> = [
  { name: 'public', path: '/public/a', headers: {} },
  { name: 'apiKey', path: '/key/a', headers: { 'x-api-key': KEYS.android } },
  { name: 'jwt', path: '/jwt/a', headers: { authorization: `Bearer ${jwt}` } },
  { name: 'introspection', path: '/introspect/a', headers: { authorization: `Bearer ${opaque}` } },
  { name: 'userToken', path: '/token/a', headers: { authorization: `Token ${userApiToken}` } },
  { name: 'session', path: '/session/a', headers: { cookie } }
]
for (const k of kinds) {
  const res = await request(`${base}${k.path}`, { headers: k.headers })
  await res.body.dump()
  if (res.statusCode !== 200) throw new Error(`${k.name}: ${res.statusCode} before the soak starts`)
}

// Disruptions: each opens a window (its own length plus a grace) in which failures are its own.
// They take turns, each after the last one's grace: schedules that meet (every 10 minutes is
// also every 2 and every 5) would otherwise share a window, and its failures one cause.
const windows: Array<{ cause: string, from: number, to: number }> = []
const GRACE = 5_000
let turn = Promise.resolve()
let quietFrom = 0
async function disrupt (cause: string, fn: () => Promise<void>): Promise<void> {
  turn = turn.then(async () => {
    if (quietFrom > Date.now()) await sleep(quietFrom - Date.now())
    const from = Date.now()
    await fn()
    quietFrom = Date.now() + GRACE
    windows.push({ cause, from, to: quietFrom })
    log(`${cause} (${Date.now() - from} ms)`)
  })
  await turn
}
const every = (m: string): number => Number(m) * MIN
const timers = [
  setInterval(() => {
    void disrupt('redis restart', async () => {
      await stopRedisProc()
      await sleep(1000)
      await startRedisProc()
    })
  }, every(values['redis-every'])),
  setInterval(() => {
    void disrupt('reload', async () => {
      writeConfig()
      gateway.kill('SIGHUP')
      await sleep(500)
    })
  }, every(values['reload-every'])),
  setInterval(() => {
    void disrupt('upstream restart', async () => {
      await stopUpstream()
      await sleep(1000)
      await startUpstream()
    })
  }, every(values['upstream-every']))
]

const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 })
// Latencies of answered requests per report window (numbers, not objects: an hour at a few
// thousand req/s is millions of them); failures as records, classified against the disruption
// windows at the end (a disruption's window is known only once it is over).
interface Failure { at: number, fail: string }
const failures: Failure[] = []
const windowMs = Number(values.window) * MIN
const latencies: number[][] = []
let answered = 0
let behind = 0
function record (at: number, fail: string | undefined): void {
  if (fail !== undefined) {
    failures.push({ at, fail })
    return
  }
  answered++
  const w = Math.floor((at - started) / windowMs)
  ;(latencies[w] ??= []).push(Date.now() - at)
}
const rss: Array<{ minute: number, mib: number }> = []
const started = Date.now()
const end = started + minutes * MIN
function memory (): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.pid ?? 0}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) / 1024
}
async function heap (): Promise<{ heap: number, external: number }> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text().catch(() => '')
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1048576
  return { heap: read('nodejs_heap_size_used_bytes'), external: read('nodejs_external_memory_bytes') }
}
const heaps: Array<{ heap: number, external: number }> = []
const rssTimer = setInterval(() => {
  rss.push({ minute: Math.round((Date.now() - started) / MIN), mib: memory() })
  void heap().then(h => heaps.push(h))
}, MIN)
timers.push(rssTimer)

async function one (i: number): Promise<void> {
  const at = Date.now()
  if (i % 50 === 0) {
    // One WebSocket in 50: open, one echo, close.
    const fail = await new Promise<string | undefined>(resolve => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/a`, { headers: { authorization: `Bearer ${jwt}` } })
      const timer = setTimeout(() => { ws.terminate(); resolve('ws timeout') }, 10_000)
      ws.on('open', () => ws.send('ping'))
      ws.on('message', () => { clearTimeout(timer); ws.close(); resolve(undefined) })
      ws.on('unexpected-response', (_req, res) => { clearTimeout(timer); resolve(`ws ${res.statusCode ?? 0}`); ws.terminate() })
      ws.on('error', err => { clearTimeout(timer); resolve(`ws ${(err as NodeJS.ErrnoException).code ?? err.message}`) })
    })
    record(at, fail)
    return
  }
  const k = kinds[i % kinds.length]
  try {
    const res = await request(`${base}${k.path}`, { headers: k.headers, dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 })
    await res.body.dump()
    record(at, res.statusCode === 200 ? undefined : `${k.name} ${res.statusCode}`)
  } catch (err) {
    record(at, `${k.name} ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

log(
  `soak: ${minutes} min at ${rate} req/s; redis every ${values['redis-every']} min, reload every ` +
    `${values['reload-every']} min, upstream every ${values['upstream-every']} min; load ${loadavg()[0].toFixed(1)}`
)
const pct = (xs: number[], p: number): number => xs.length === 0 ? 0 : xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] as number
function windowLine (w: number): string {
  const ms = (latencies[w] ?? []).slice().sort((a, b) => a - b)
  const failed = failures.filter(f => Math.floor((f.at - started) / windowMs) === w).length
  return `${Number(((w * windowMs) / MIN).toFixed(2))}: p50 ${pct(ms, 0.5)} ms, p99 ${pct(ms, 0.99)} ms, ${ms.length} ok, ${failed} failed`
}
// Each window's line as soon as it is over: a run stopped early still says what it saw.
let reported = 0
timers.push(setInterval(() => {
  while ((reported + 1) * windowMs <= Date.now() - started - 15_000) log(`window ${windowLine(reported++)}`)
}, 10_000))
async function teardown (): Promise<void> {
  for (const t of timers) clearInterval(t)
  for (const fn of teardowns.reverse()) await fn()
  rmSync(dir, { recursive: true, force: true })
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { log(`${signal}: stopping what the soak started`); void teardown().finally(() => process.exit(130)) })
}

// Open loop, with the requests in flight bounded: a gateway that falls behind its rate shows
// as requests not sent (counted), not as a load generator growing without limit.
let sent = 0
const inflight = new Set<Promise<void>>()
while (Date.now() < end) {
  const due = Math.floor((Date.now() - started) / 1000 * rate)
  while (sent < due) {
    if (inflight.size >= maxInflight) {
      behind += due - sent
      sent = due
      break
    }
    const p = one(sent++)
    inflight.add(p)
    void p.finally(() => inflight.delete(p))
  }
  await sleep(10)
}
for (const t of timers) clearInterval(t)
await Promise.all(inflight)
await sleep(2000)

// The end: sockets the gateway holds, and what its metrics say of the WebSockets open.
const sockets = readdirSync(`/proc/${gateway.pid ?? 0}/fd`).filter(fd => {
  try {
    return readlinkSync(`/proc/${gateway.pid ?? 0}/fd/${fd}`).startsWith('socket:')
  } catch {
    return false
  }
}).length
await dispatcher.close()
await sleep(1000)
const socketsIdle = readdirSync(`/proc/${gateway.pid ?? 0}/fd`).filter(fd => {
  try {
    return readlinkSync(`/proc/${gateway.pid ?? 0}/fd/${fd}`).startsWith('socket:')
  } catch {
    return false
  }
}).length
const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text().catch(() => '')
const series = (name: string): string => metrics.split('\n').filter(l => l.startsWith(name)).join('; ') || `${name} absent`
const wsOpen = series('gatehouse_websocket_connections')
const pool = [series('gatehouse_upstream_connections'), series('gatehouse_upstream_queued_requests')].join('; ')
const poolBusy = metrics.split('\n')
  .filter(l => /^gatehouse_upstream_(connections\{.*state="busy"|queued_requests)/.test(l))
  .reduce((n, l) => n + Number(l.split(' ').pop()), 0)

const report: string[] = []
report.push(
  `requests: ${answered + failures.length} in ${((Date.now() - started) / MIN).toFixed(1)} min (${rate} req/s asked), load ${loadavg()
    .map(l => l.toFixed(1))
    .join(' ')}`
)
const inWindow = (f: Failure): string | undefined => {
  const causes = windows.filter(w => f.at >= w.from - 1000 && f.at <= w.to).map(w => w.cause)
  return causes.length === 0 ? undefined : [...new Set(causes)].join(' + ')
}
const causes = new Map<string, number>()
const allowed = new Map<string, number>()
for (const f of failures) {
  const w = inWindow(f)
  const map = w === undefined ? causes : allowed
  const key = w === undefined ? f.fail : `${w}: ${f.fail}`
  map.set(key, (map.get(key) ?? 0) + 1)
}
report.push(`not sent, the gateway behind its rate (${maxInflight} in flight): ${behind}`)
report.push(`failures outside any disruption: ${[...causes].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'}`)
report.push(`failures inside a disruption's window (allowed): ${[...allowed].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'}`)
report.push(`disruptions: ${JSON.stringify(windows.map(w => w.cause).reduce<Record<string, number>>((a, c) => { a[c] = (a[c] ?? 0) + 1; return a }, {}))}`)
report.push('latency per window (answered requests), from minute:')
for (let w = 0; w * windowMs < end - started; w++) report.push(`  ${windowLine(w)}`)
report.push(`RSS per minute (MiB): ${rss.map(r => `${r.minute}:${r.mib.toFixed(0)}`).join(' ')}`)
report.push(`JS heap used / external per minute (MiB): ${heaps.map(h => `${h.heap.toFixed(0)}/${h.external.toFixed(0)}`).join(' ')}`)
const second = rss.filter(r => r.minute > minutes / 2).map(r => r.mib)
if (second.length > 0) {
  const mean = second.reduce((a, b) => a + b, 0) / second.length
  report.push(
    `RSS second half: ${Math.min(...second).toFixed(0)}-${Math.max(...second).toFixed(0)} MiB, ` +
      `±${((100 * Math.max(...second.map(v => Math.abs(v - mean)))) / mean).toFixed(1)} % of its mean`
  )
}
report.push(`gateway sockets at the end: ${sockets} with the load's pool open, ${socketsIdle} after it closed; ${wsOpen}`)
report.push(`upstream pool slots at the end: ${poolBusy === 0 ? 'back to idle (none busy, none queued)' : `${poolBusy} busy or queued: NOT idle`}; ${pool}`)
console.log(report.join('\n'))
appendFileSync(join(tmpdir(), 'gatehouse-soak-report.txt'), report.join('\n') + '\n')
await teardown()
