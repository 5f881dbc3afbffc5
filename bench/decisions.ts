/**
 * `node dist/bench/decisions.js [options]` (`npm run bench:decisions`): issue 25's benchmark.
 * One RS256 token, one upstream, four arrangements in alternating rounds (A B C D A B C D …):
 * gatehouse proxying; nginx asking gatehouse's decision API (`auth_request`, the recipe of
 * docs/decisions.md); the same with `proxy_cache` on the auth location (decisionsCacheTtl);
 * Apache mod_auth_openidc verifying the token itself. Each server is its own process: req/s,
 * p99 and the CPU time per request of each process, from /proc over the same window.
 * See bench/README.md ("The decision API").
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { newApiKey } from '../cli/keys.js'
import { nginxRecipe } from '../test/helpers/decision-api.js'
import { gatewayYaml, startGatehouse } from './gateway.js'
import { hasWrk, load, THREADS, type LoadResult } from './load.js'
import { apacheMissing, checkVerifies, hostPort, startApache, startNginxWith } from './peers.js'
import { cpuMsOf, freePort, onPath, runHeader, startUpstream, stopAll, waitForHttp, type Proc } from './procs.js'
import { rsaIssuer } from './tokens.js'

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    'cache-ttl': { type: 'string', default: '5s' },
    'nginx-workers': { type: 'string', default: '1' },
    'log-level': { type: 'string', default: 'info' },
    targets: { type: 'string' },
    'cpu-prof': { type: 'string' }
  }
})
const SECONDS = Number(opt.seconds)
const WARMUP = Number(opt.warmup)
const CONNECTIONS = Number(opt.connections)
const ROUNDS = Number(opt.rounds)
const NGINX_WORKERS = Number(opt['nginx-workers'])
const DECISIONS_TOKEN = 'bench-decisions-token-0123456789abcdef'

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-decisions-'))
const load1 = (): string => loadavg()[0].toFixed(1)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN
const fmt = (n: number, digits = 0): string => Number.isFinite(n) ? n.toFixed(digits) : '–'

const PROXY = 'gatehouse proxying'
const PLAIN = 'nginx + decision API'
const CACHED = `nginx + decision API + proxy_cache ${opt['cache-ttl']}`
const APACHE = 'apache mod_auth_openidc'
/** The processes whose CPU time is reported, one column each (nginx: the target's own). */
const COLUMNS = ['nginx', 'gatehouse', 'apache', 'upstream'] as const
type Column = typeof COLUMNS[number]

interface Target { name: string, url: string, procs: Partial<Record<Column, Proc>> }
type Measured = LoadResult & { cpuUs: Partial<Record<Column, number>> }

/** nginx running docs/decisions.md's recipe, the app behind it on kept-alive connections as for every other target. */
function startDecisionNginx (name: string, port: number, decisions: string, upstream: string, cache: boolean): Proc {
  const app = `  upstream bench_app { server ${hostPort(upstream)}; keepalive 128; }\n`
  // keepalive: one idle connection to the decision API per wrk connection, else nginx closes and reopens them under load.
  const recipe = nginxRecipe({ port, decisions, upstream: 'http://bench_app', token: DECISIONS_TOKEN, cache, keepalive: CONNECTIONS })
  return startNginxWith(dir, name, NGINX_WORKERS, app + recipe)
}

async function main (): Promise<void> {
  console.log([
    ...runHeader('decisions.js'),
    `node ${process.version}; load generator: ${hasWrk ? `wrk, ${THREADS} threads` : 'autocannon'}, ${CONNECTIONS} connections; ` +
      `${ROUNDS} alternating rounds of ${SECONDS}s after a ${WARMUP}s warm-up per target; medians; nginx worker_processes ${NGINX_WORKERS}`
  ].join('\n'))
  if (!onPath('nginx')) throw new Error('nginx is not on PATH (apt-get install nginx)')
  const noApache = apacheMissing()
  if (noApache !== undefined) throw new Error(`Apache cannot run: ${noApache} (apt-get install apache2 libapache2-mod-auth-openidc)`)

  const { proc: upstreamProc, url: upstream } = await startUpstream()
  const idp = rsaIssuer(dir)
  const decisionsPort = await freePort()
  const yaml = gatewayYaml(upstream, 'http://127.0.0.1:9', newApiKey().hash, idp.publicKeyFile, {
    logLevel: opt['log-level'],
    decisions: { port: decisionsPort, token: DECISIONS_TOKEN, cacheTtl: opt['cache-ttl'] }
  })
  const gwArgs = opt['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', resolve(opt['cpu-prof'])]
  const gw = await startGatehouse(dir, 'gatehouse', yaml, gwArgs)
  const decisions = `127.0.0.1:${decisionsPort}`
  const plainPort = await freePort()
  const plain = startDecisionNginx('nginx decisions', plainPort, decisions, upstream, false)
  const cachedPort = await freePort()
  const cached = startDecisionNginx('nginx decisions cached', cachedPort, decisions, upstream, true)
  const apachePort = await freePort()
  const apache = startApache(dir, apachePort, upstream, idp)

  const token = idp.mint(0)
  const headers = { Authorization: `Bearer ${token}` }
  const targets: Target[] = [
    { name: PROXY, url: `${gw.url}/rs256/x`, procs: { gatehouse: gw.proc, upstream: upstreamProc } },
    { name: PLAIN, url: `http://127.0.0.1:${plainPort}/rs256/x`, procs: { nginx: plain, gatehouse: gw.proc, upstream: upstreamProc } },
    { name: CACHED, url: `http://127.0.0.1:${cachedPort}/rs256/x`, procs: { nginx: cached, gatehouse: gw.proc, upstream: upstreamProc } },
    { name: APACHE, url: `http://127.0.0.1:${apachePort}/rs256/x`, procs: { apache, upstream: upstreamProc } }
  ]
  for (const t of targets) {
    await waitForHttp(t.url, headers, Object.values(t.procs)[0])
    await checkVerifies(t.name, t.url, token, idp.refused())
  }
  console.log(`every target answers 200 to the token and 401 to: ${Object.keys(idp.refused()).join(', ')}`)
  // What makes the cached target a cached one: the decision API lets nginx reuse this allow.
  const answer = await fetch(`http://${decisions}/nginx`, {
    headers: { ...headers, 'X-Original-Method': 'GET', 'X-Original-URI': '/rs256/x', 'X-Gatehouse-Decisions-Token': DECISIONS_TOKEN }
  })
  await answer.arrayBuffer()
  console.log(`decision API allow: ${answer.status}, Cache-Control: ${answer.headers.get('cache-control') ?? '–'}, ` +
    `X-Accel-Expires: ${answer.headers.get('x-accel-expires') ?? '–'}`)

  const selected = opt.targets === undefined ? targets : targets.filter(t => opt.targets?.split(',').some(s => t.name.includes(s)))
  for (const t of selected) await load(dir, { url: t.url, connections: CONNECTIONS, seconds: WARMUP, headers })
  const loads = [`before: ${load1()}`]
  const results = new Map<string, Measured[]>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of selected) {
      const procs = Object.entries(t.procs) as Array<[Column, Proc]>
      const before = procs.map(([, p]) => cpuMsOf(p.pids()))
      const r = await load(dir, { url: t.url, connections: CONNECTIONS, seconds: SECONDS, headers })
      const cpuUs = Object.fromEntries(procs.map(([column, p], i) => [column, (cpuMsOf(p.pids()) - (before[i] ?? 0)) * 1000 / r.requests]))
      if (r.non2xx > 0 || r.errors > 0) console.log(`warning: ${t.name}: ${r.non2xx} non-2xx, ${r.errors} socket errors`)
      results.set(t.name, [...results.get(t.name) ?? [], { ...r, cpuUs }])
    }
    loads.push(`after round ${round + 1}: ${load1()}`)
  }

  const med = (name: string, f: (r: Measured) => number | undefined): number => median((results.get(name) ?? []).map(r => f(r) ?? NaN))
  const rps = (name: string): number => med(name, r => r.rps)
  const total = (r: Measured): number => Object.values(r.cpuUs).reduce((a, b) => a + b, 0)
  console.log(`\nload average (1 min): ${loads.join(', ')}\n`)
  console.log(`| target | req/s | p99 ms | × apache | CPU µs/req: ${COLUMNS.join(' | ')} | all |`)
  console.log(`|---|---:|---:|---:|${COLUMNS.map(() => '---:|').join('')}---:|`)
  for (const t of selected) {
    const cells = [t.name, fmt(rps(t.name)), fmt(med(t.name, r => r.p99), 2), fmt(rps(t.name) / rps(APACHE), 2)]
    for (const c of COLUMNS) cells.push(t.procs[c] === undefined ? '' : fmt(med(t.name, r => r.cpuUs[c])))
    cells.push(fmt(med(t.name, total)))
    console.log(`| ${cells.join(' | ')} |`)
  }
  const gwCpu = (name: string): number => med(name, r => r.cpuUs.gatehouse)
  const verdict = (ratio: number, ok: boolean): string => `${fmt(ratio, 2)}× (${Number.isFinite(ratio) ? ok ? 'met' : 'MISSED' : 'not measured'})`
  const cachedX = rps(CACHED) / rps(APACHE)
  const plainX = rps(PLAIN) / rps(APACHE)
  const cpuX = gwCpu(PLAIN) / gwCpu(PROXY)
  console.log(`\nissue 25's targets, same run:
- ${CACHED} req/s = ${verdict(cachedX, cachedX >= 2)} ${APACHE}'s (target ≥ 2×)
- ${PLAIN} req/s = ${verdict(plainX, plainX >= 0.9)} ${APACHE}'s (target ≥ 0.9×)
- gatehouse CPU per request on the decision path (${PLAIN}) = ${verdict(cpuX, cpuX <= 0.6)} its CPU per request proxying (target ≤ 0.6×)`)
  // On a loaded machine req/s follows each server's share of the cores (Apache's 64 threads
  // get more than nginx's one worker); CPU-bound, req/s goes as 1 / the CPU all its processes spend.
  const all = (name: string): number => med(name, total)
  console.log(`\nthe same by CPU per request of all the target's processes (${APACHE}'s ÷ the target's: the req/s ratio to expect ` +
    `when the CPU is the limit): ${CACHED} ${fmt(all(APACHE) / all(CACHED), 2)}×, ${PLAIN} ${fmt(all(APACHE) / all(PLAIN), 2)}×, ` +
    `${PROXY} ${fmt(all(APACHE) / all(PROXY), 2)}×`)
}

try {
  await main()
} finally {
  await stopAll()
  rmSync(dir, { recursive: true, force: true })
}
