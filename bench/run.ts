/**
 * `npm run bench [-- options]`: gatehouse against the upstream directly, a bare undici proxy,
 * nginx, and Apache mod_auth_openidc and HAProxy verifying the same RS256 token, side by side
 * in one run. See bench/README.md for the options and the numbers.
 */
import { systemClock } from '../src/clock.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { newApiKey } from '../cli/keys.js'
import { workerCount } from '../runtime/cluster.js'
import { cgroupCpuLimit } from '../runtime/cpu-limit.js'
import { cannonAtRate, hasWrk, load, loadAtRate, THREADS, thinkMs, type LoadResult, type LoadSpec } from './load.js'
import { apacheMissing, checkVerifies, startApache, startHaproxy, startNginx } from './peers.js'
import {
  cpuMsOf, DIST, freePort, memoryOf, onPath, runHeader, startProc, startRedis, startUpstream, stopAll, waitForHttp, withChildren, type Proc
} from './procs.js'
import { JWT_AUDIENCE, JWT_ISSUER, mintJwt, opaqueToken, rsaIssuer } from './tokens.js'
import { benchSessionCookie } from './session.js'
import { gatewayYaml, startGatehouse, type GatewayOptions } from './gateway.js'
import { createRedisClient } from '../src/cache/redis-client.js'
import { createSealer } from '../src/cache/integrity.js'
import { newUserToken, UserTokenStore } from '../src/tokens/user-token-store.js'

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string', default: 'throughput,halfload,memory' },
    targets: { type: 'string' },
    'memory-seconds': { type: 'string', default: '20' },
    'memory-tokens': { type: 'string', default: '40000' },
    'nginx-workers': { type: 'string', default: '1' },
    'log-level': { type: 'string', default: 'info' },
    'cpu-prof': { type: 'string' },
    compare: { type: 'string' }
  }
})
const SECONDS = Number(opt.seconds)
const WARMUP = Number(opt.warmup)
const CONNECTIONS = Number(opt.connections)
const ROUNDS = Number(opt.rounds)
const SECTIONS = new Set(opt.only.split(','))

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
const load1 = (): string => loadavg()[0].toFixed(1)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number
const fmt = (n: number, digits = 0): string => Number.isFinite(n) ? n.toFixed(digits) : '–'

/** A tiny RFC 7662 endpoint: every `bench-` token is active for an hour. It counts its calls. */
let introspections = 0
const as = createServer((req, res) => {
  let body = ''
  req.on('data', (c: Buffer) => { body += c.toString() })
  req.on('end', () => {
    introspections++
    const token = new URLSearchParams(body).get('token') ?? ''
    const answer = token.startsWith('bench-')
      ? { active: true, sub: `user-${token.split('-')[2] ?? ''}`, scope: 'orders:read', client_id: 'bench', exp: Math.floor(Date.now() / 1000) + 3600 }
      : { active: false }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
  })
})

/** A user API token in the bench's Redis, as `gatehouse tokens new` makes one. */
async function storeUserToken (url: string): Promise<string> {
  const redis = await createRedisClient({ url }, { enableOfflineQueue: true })
  await new Promise(resolve => redis.once('ready', resolve))
  try {
    const { token, hash, record } = newUserToken({ user: 'bench-user', scopes: ['orders:read'], client: null, expires: null }, Date.now())
    await new UserTokenStore(redis, createSealer(undefined), undefined, systemClock).add(hash, record)
    return token
  } finally {
    await redis.quit()
  }
}

const USER_TOKEN = 'gatehouse userToken warm (redis)'
const GW_ONE = 'gatehouse jwt RS256'
const GW_WORKERS = 'gatehouse jwt RS256 (workers: auto)'
const APACHE = 'apache mod_auth_openidc'
const HAPROXY = 'haproxy jwt_verify'
const REF_PUBLIC = 'reference forwarder public'
const REF_JWT = 'reference forwarder jwt RS256'
const REF_WORKERS = 'reference forwarder jwt RS256 (workers: auto)'

interface Target {
  name: string
  /** baseline: a plain proxy or none; peer: a C proxy verifying the RS256 token. */
  kind: 'baseline' | 'peer' | 'gatehouse'
  /** The process that does the work measured: its CPU time per request is reported. */
  proc: Proc
  url: string
  headers?: Record<string, string>
  /** Bearer tokens per wrk thread, made fresh for each run (cold) or shared (warm). */
  bearer?: () => string[][]
  /** Node processes sharing the load: each JIT-compiles on its own share of the warm-up, so it runs this many times longer. */
  processes?: number
}

async function main (): Promise<void> {
  const header = [
    ...runHeader('run.js'),
    `node ${process.version}; load generator: ${hasWrk ? `wrk, ${THREADS} threads` : 'autocannon'}, ${CONNECTIONS} connections; ` +
      `${ROUNDS} alternating rounds of ${SECONDS}s after a ${WARMUP}s warm-up per target (× workers for gatehouse workers: auto); medians`
  ]
  console.log(header.join('\n'))

  const { proc: upstreamProc, url: upstream } = await startUpstream()
  const barePort = await freePort()
  const bareProc = startProc('bare undici proxy', process.execPath, [join(DIST, 'bench/bare-proxy.js'), String(barePort), upstream])
  await new Promise<void>(resolve => as.listen(0, '127.0.0.1', resolve))
  const asUrl = `http://127.0.0.1:${(as.address() as AddressInfo).port}`
  await waitForHttp(`http://127.0.0.1:${barePort}/`, {}, bareProc)

  const procs: Proc[] = [upstreamProc, bareProc]
  const targets: Target[] = [
    { name: 'direct upstream', kind: 'baseline', proc: upstreamProc, url: `${upstream}/public/x` },
    { name: 'bare undici proxy', kind: 'baseline', proc: bareProc, url: `http://127.0.0.1:${barePort}/public/x` }
  ]
  if (onPath('nginx')) {
    const port = await freePort()
    const nginx = startNginx(dir, port, upstream, Number(opt['nginx-workers']))
    await waitForHttp(`http://127.0.0.1:${port}/`, {}, nginx)
    procs.push(nginx)
    targets.push({ name: 'nginx', kind: 'baseline', proc: nginx, url: `http://127.0.0.1:${port}/public/x` })
  }

  const key = newApiKey()
  const idp = rsaIssuer(dir)
  const yaml = (options: Partial<GatewayOptions> = {}): string =>
    gatewayYaml(upstream, asUrl, key.hash, idp.publicKeyFile, { logLevel: opt['log-level'], ...options })
  // The lean forwarder of issue 24: the cost a request path on Fastify + undici can get down to.
  const refPort = await freePort()
  const refArgs = [join(DIST, 'bench/reference-forwarder.js'), String(refPort), upstream, idp.publicKeyFile, JWT_ISSUER, JWT_AUDIENCE]
  const refProc = startProc('reference forwarder', process.execPath, refArgs)
  const refUrl = `http://127.0.0.1:${refPort}`
  await waitForHttp(`${refUrl}/public/x`, {}, refProc)
  procs.push(refProc)
  targets.push({ name: REF_PUBLIC, kind: 'baseline', proc: refProc, url: `${refUrl}/public/x` })
  const gwArgs = opt['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', resolve(opt['cpu-prof'])]
  const gw = await startGatehouse(dir, 'gatehouse', yaml(), gwArgs)
  procs.push(gw.proc)
  const warmJwt = mintJwt(0)
  const opaque = Array.from({ length: 100 }, (_, i) => opaqueToken(i))
  const opaqueSplit = [opaque.filter((_, i) => i % 2 === 0), opaque.filter((_, i) => i % 2 === 1)].slice(0, THREADS)
  let coldPerThread = 20_000
  let coldSerial = 1
  const coldTokens = (): string[][] => Array.from({ length: THREADS }, () => Array.from({ length: coldPerThread }, () => mintJwt(coldSerial++)))
  targets.push(
    { name: 'gatehouse public', kind: 'gatehouse', proc: gw.proc, url: `${gw.url}/public/x` },
    { name: 'gatehouse apiKey', kind: 'gatehouse', proc: gw.proc, url: `${gw.url}/key/x`, headers: { 'X-API-Key': key.key } },
    { name: 'gatehouse jwt warm', kind: 'gatehouse', proc: gw.proc, url: `${gw.url}/jwt/x`, headers: { Authorization: `Bearer ${warmJwt}` } },
    { name: 'gatehouse jwt cold', kind: 'gatehouse', proc: gw.proc, url: `${gw.url}/jwt/x`, bearer: coldTokens },
    { name: 'gatehouse introspection warm', kind: 'gatehouse', proc: gw.proc, url: `${gw.url}/opaque/x`, bearer: () => opaqueSplit },
    {
      name: 'gatehouse client+user+scopes+limit (local)',
      kind: 'gatehouse',
      proc: gw.proc,
      url: `${gw.url}/limited/x`,
      headers: { 'X-API-Key': key.key, Authorization: `Bearer ${warmJwt}` }
    }
  )
  if (onPath('redis-server')) {
    const redis = await startRedis()
    procs.push(redis.proc)
    const gwr = await startGatehouse(dir, 'gatehouse (redis)', yaml({ redis: redis.url }))
    procs.push(gwr.proc)
    targets.push({
      name: 'gatehouse client+user+scopes+limit (redis)',
      kind: 'gatehouse',
      proc: gwr.proc,
      url: `${gwr.url}/limited/x`,
      headers: { 'X-API-Key': key.key, Authorization: `Bearer ${warmJwt}` }
    })
    // A browser session (oidc) in Redis, read once, then from the local tier: the warm session-cookie route.
    const cookie = await benchSessionCookie(gwr.file)
    await waitForHttp(`${gwr.url}/session/x`, { cookie }, gwr.proc)
    targets.push({ name: 'gatehouse session cookie warm (redis)', kind: 'gatehouse', proc: gwr.proc, url: `${gwr.url}/session/x`, headers: { cookie } })
    targets.push({
      name: USER_TOKEN,
      kind: 'gatehouse',
      proc: gwr.proc,
      url: `${gwr.url}/token/x`,
      headers: { Authorization: `Token ${await storeUserToken(redis.url)}` }
    })
  }

  // One RS256 token, one upstream: gatehouse in one process and with a worker per CPU, and
  // the C peers that verify JWTs themselves.
  const rsJwt = idp.mint(0)
  const rsHeaders = { Authorization: `Bearer ${rsJwt}` }
  // As many processes as `workers: auto` starts here (one per CPU, held to a cgroup's CPU limit), for the reference's cluster too.
  const autoWorkers = workerCount('auto', cgroupCpuLimit())
  const gwc = await startGatehouse(dir, 'gatehouse (workers: auto)', yaml({ workers: 'auto' }))
  procs.push(withChildren(gwc.proc))
  // The reference in as many processes: the part of workers' cost any Node forwarder pays here.
  const refWorkersPort = await freePort()
  const refWorkersArgs = [join(DIST, 'bench/reference-cluster.js'), String(autoWorkers), String(refWorkersPort), ...refArgs.slice(2)]
  const refWorkers = withChildren(startProc('reference forwarder (workers: auto)', process.execPath, refWorkersArgs))
  procs.push(refWorkers)
  const rs256: Target[] = [
    { name: REF_JWT, kind: 'baseline', proc: refProc, url: `${refUrl}/rs256/x`, headers: rsHeaders },
    {
      name: REF_WORKERS,
      kind: 'baseline',
      proc: refWorkers,
      url: `http://127.0.0.1:${refWorkersPort}/rs256/x`,
      headers: rsHeaders,
      processes: autoWorkers
    },
    { name: GW_ONE, kind: 'gatehouse', proc: gw.proc, url: `${gw.url}/rs256/x`, headers: rsHeaders },
    { name: GW_WORKERS, kind: 'gatehouse', proc: gwc.proc, url: `${gwc.url}/rs256/x`, headers: rsHeaders, processes: autoWorkers }
  ]
  const noApache = apacheMissing()
  if (noApache !== undefined) console.log(`${APACHE}: skipped (${noApache})`)
  else {
    const port = await freePort()
    const apache = startApache(dir, port, upstream, idp)
    procs.push(apache)
    rs256.push({ name: APACHE, kind: 'peer', proc: apache, url: `http://127.0.0.1:${port}/rs256/x`, headers: rsHeaders })
  }
  if (!onPath('haproxy')) console.log(`${HAPROXY}: skipped (haproxy is not on PATH)`)
  else {
    const port = await freePort()
    const haproxy = startHaproxy(dir, port, upstream, idp)
    procs.push(haproxy)
    rs256.push({ name: HAPROXY, kind: 'peer', proc: haproxy, url: `http://127.0.0.1:${port}/rs256/x`, headers: rsHeaders })
  }
  if (opt.compare !== undefined) {
    // Another build (its dist/), same config, same rounds: a change measured against what it changed.
    const other = await startGatehouse(dir, 'gatehouse (compare)', yaml(), [], resolve(opt.compare))
    procs.push(other.proc)
    targets.push({ name: 'compared build: gatehouse public', kind: 'gatehouse', proc: other.proc, url: `${other.url}/public/x` })
    rs256.push({ name: `compared build: ${GW_ONE}`, kind: 'gatehouse', proc: other.proc, url: `${other.url}/rs256/x`, headers: rsHeaders })
  }
  for (const t of rs256) {
    await waitForHttp(t.url, t.headers, t.proc)
    await checkVerifies(t.name, t.url, rsJwt, idp.refused())
  }
  console.log(`RS256 targets (${rs256.map(t => t.name).join(', ')}): each answers 200 to the token and 401 to: ${Object.keys(idp.refused()).join(', ')}`)
  targets.push(...rs256)
  const selected = opt.targets === undefined ? targets : targets.filter(t => opt.targets?.split(',').some(s => t.name.includes(s)))

  const spec = (t: Target, seconds: number): LoadSpec => ({ url: t.url, connections: CONNECTIONS, seconds, headers: t.headers, bearer: t.bearer?.() })
  const results = new Map<string, Array<LoadResult & { cpuUs: number }>>()
  const loads: string[] = []
  // The cluster primary's own CPU while its workers serve: what node:cluster costs beside them.
  let primaryMs = 0
  let clusterMs = 0
  let asCallsMeasured = 0
  let introspectionRequests = 0

  if (SECTIONS.has('throughput')) {
    for (const t of selected) {
      const r = await load(dir, spec(t, WARMUP * (t.processes ?? 1)))
      // A cold run must never wrap around to tokens it has already sent.
      if (t.name === 'gatehouse public') coldPerThread = Math.ceil(Math.max(2000, r.rps) * SECONDS * 1.5 / THREADS)
    }
    loads.push(`before: ${load1()}`)
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of selected) {
        const before = introspections
        const cpuBefore = cpuMsOf(t.proc.pids())
        const primaryBefore = cpuMsOf(t.proc.child.pid === undefined ? [] : [t.proc.child.pid])
        const r = { ...await load(dir, spec(t, SECONDS)), cpuUs: 0 }
        const spent = cpuMsOf(t.proc.pids()) - cpuBefore
        r.cpuUs = spent * 1000 / r.requests
        if (t.name === GW_WORKERS) {
          primaryMs += cpuMsOf(t.proc.child.pid === undefined ? [] : [t.proc.child.pid]) - primaryBefore
          clusterMs += spent
        }
        if (t.name === 'gatehouse introspection warm') { asCallsMeasured += introspections - before; introspectionRequests += r.requests }
        if (t.name === 'gatehouse jwt cold' && r.requests > coldPerThread * THREADS) {
          console.log(`warning: jwt cold sent ${r.requests} requests for ${coldPerThread * THREADS} tokens: some were warm`)
        }
        if (r.non2xx > 0 || r.errors > 0) console.log(`warning: ${t.name}: ${r.non2xx} non-2xx, ${r.errors} socket errors`)
        results.set(t.name, [...(results.get(t.name) ?? []), r])
      }
      loads.push(`after round ${round + 1}: ${load1()}`)
    }
    const med = (name: string, f: (r: LoadResult & { cpuUs: number }) => number): number => {
      const rs = results.get(name)
      return rs === undefined ? NaN : median(rs.map(f))
    }
    const rps = (name: string): number => med(name, r => r.rps)
    console.log(`\nload average (1 min): ${loads.join(', ')}\n`)
    const cpu = (name: string): number => med(name, r => r.cpuUs)
    /**
     * "A = r× B": the ratio of the medians, then (with three rounds or more) the median of each
     * round's ratio, A and B measured minutes apart at most, which cancels most of the machine's
     * swings from one round to the next, and its range. `target`: issue 24's, in brackets.
     */
    const cpuX = (a: string, b: string, target?: string): string => {
      const bs = results.get(b) ?? []
      const paired = (results.get(a) ?? []).map((r, i) => r.cpuUs / (bs[i]?.cpuUs ?? NaN)).filter(Number.isFinite)
      const notes = [
        ...target === undefined ? [] : [target],
        ...paired.length < 3 ? [] : [`by round ${fmt(median(paired), 2)}×, ${fmt(Math.min(...paired), 2)}–${fmt(Math.max(...paired), 2)}×`]
      ]
      return `${fmt(cpu(a) / cpu(b), 2)}× ${b}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`
    }
    const x = (a: string, b: string): string => `${fmt(rps(a) / rps(b), 2)}×`
    // The CPU ratios first: on a shared machine they move least (contention lowers req/s, not what a request costs).
    console.log('CPU per request, medians of this run (issue 24\'s targets in brackets):')
    console.log(`- ${GW_ONE} = ${cpuX(GW_ONE, REF_JWT, '≤ 1.25×')}, ${cpuX(GW_ONE, APACHE, '≤ 0.7×')}, ${cpuX(GW_ONE, HAPROXY)}`)
    console.log(`- gatehouse public = ${cpuX('gatehouse public', REF_PUBLIC, '≤ 1.15×')}`)
    console.log(`- ${GW_WORKERS} = ${cpuX(GW_WORKERS, GW_ONE, '≤ 1×')} in one process; ${REF_WORKERS} = ${cpuX(REF_WORKERS, REF_JWT)} in one process`)
    console.log(`- ${REF_PUBLIC} = ${cpuX(REF_PUBLIC, 'bare undici proxy')}; ${REF_JWT} = ${cpuX(REF_JWT, APACHE)}\n`)
    console.log('| target | req/s | p50 ms | p99 ms | × direct | × undici proxy | × nginx | × gatehouse public | CPU µs/req | CPU × undici proxy | ' +
      'CPU × reference |')
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const t of selected) {
      const r = rps(t.name)
      const ratio = (base: string): string => t.name === base ? '1' : fmt(r / rps(base), 2)
      // Each route kind against the reference doing the same: a token checked or none, in as many processes.
      const reference = t.name === GW_WORKERS ? REF_WORKERS : t.headers?.Authorization !== undefined || t.bearer !== undefined ? REF_JWT : REF_PUBLIC
      const cells = [
        t.name, fmt(r), fmt(med(t.name, r => r.p50), 2), fmt(med(t.name, r => r.p99), 2),
        ratio('direct upstream'), ratio('bare undici proxy'), ratio('nginx'), t.kind === 'gatehouse' ? ratio('gatehouse public') : '',
        fmt(cpu(t.name)), fmt(cpu(t.name) / cpu('bare undici proxy'), 2), fmt(cpu(t.name) / cpu(reference), 2)
      ]
      console.log(`| ${cells.join(' | ')} |`)
    }
    if (selected.some(t => rs256.includes(t))) {
      console.log(
        `\nRS256 req/s, one token and upstream: ${GW_WORKERS} = ${x(GW_WORKERS, APACHE)} ${APACHE} (target ≥ 1.3×), ` +
          `${x(GW_WORKERS, HAPROXY)} ${HAPROXY} (aim ≥ 0.8×); ${GW_ONE} (one process) = ${x(GW_ONE, APACHE)} ${APACHE}, ${x(GW_ONE, HAPROXY)} ${HAPROXY}`
      )
    }
    if (selected.some(t => t.name === USER_TOKEN) && results.has('gatehouse public')) {
      console.log(
        `\n${USER_TOKEN} = ${x(USER_TOKEN, 'gatehouse public')} gatehouse public (target ` +
          '≥ 0.95×; the userToken route is on the redis gateway, a process of its own)'
      )
    }
    if (clusterMs > 0) {
      console.log(`\n${GW_WORKERS}: the primary spent ${fmt(primaryMs)} ms of the cluster's ${fmt(clusterMs)} ms of CPU in the measured rounds ` +
        `(${fmt(primaryMs / clusterMs * 100, 1)}%)`)
    }
    if (introspectionRequests > 0) {
      console.log(
        `\nintrospection warm: ${asCallsMeasured} authorization-server calls during ${introspectionRequests} ` +
          `measured requests (${fmt((asCallsMeasured / introspectionRequests) * 10_000, 2)} per 10,000)`
      )
    }
  }

  if (SECTIONS.has('halfload')) {
    const peak = median((results.get('gatehouse public') ?? []).map(r => r.rps))
    const rate = Math.round((Number.isFinite(peak) ? peak : 2000) / 2)
    // nginx beside the Node hops: what a hop in C adds at the same rate on the same machine.
    const half = targets.filter(t => ['direct upstream', 'nginx', 'bare undici proxy', REF_PUBLIC, 'gatehouse public'].includes(t.name))
    const runs = new Map<string, LoadResult[]>()
    for (const t of half) await loadAtRate(dir, spec(t, WARMUP), rate)
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of half) runs.set(t.name, [...(runs.get(t.name) ?? []), await loadAtRate(dir, spec(t, SECONDS), rate)])
    }
    const med = (name: string, field: 'rps' | 'p50' | 'p99'): number => median((runs.get(name) ?? []).map(r => r[field]))
    const generator = hasWrk
      ? `wrk, each connection pausing a random ${fmt(thinkMs(CONNECTIONS, rate), 2)} ms on average (exponential) after each answer`
      : 'autocannon'
    console.log(`\nhalf load: ${generator}, aiming at ${rate} req/s in total (half the gatehouse public peak), ${CONNECTIONS} connections, ` +
      `${ROUNDS} alternating rounds, medians, load average ${load1()}`)
    console.log('| target | req/s | p50 ms | p99 ms | p99 added over direct |\n|---|---:|---:|---:|---:|')
    for (const t of half) {
      const added = t.name === 'direct upstream' ? '' : fmt(med(t.name, 'p99') - med('direct upstream', 'p99'), 2)
      console.log(`| ${t.name} | ${fmt(med(t.name, 'rps'), 0)} | ${fmt(med(t.name, 'p50'), 2)} | ${fmt(med(t.name, 'p99'), 2)} | ${added} |`)
    }
  }

  if (SECTIONS.has('memory')) {
    const seconds = Number(opt['memory-seconds'])
    const count = Number(opt['memory-tokens'])
    const samples: Array<{ t: number, rss: number }> = []
    const start = Date.now()
    const sampler = setInterval(() => samples.push({ t: (Date.now() - start) / 1000, rss: memoryOf(gw.proc.pids()).now }), 1000)
    let n = 0
    // Every request a token never seen before, alternating the jwt and the introspection route.
    await cannonAtRate({
      url: `${gw.url}/jwt/x`,
      connections: CONNECTIONS,
      seconds: seconds + 30,
      cannon: {
        amount: count,
        requests: [{
          setupRequest: (req: { path?: string, headers?: Record<string, string> }) => {
            const i = n++
            return i % 2 === 0
              ? { ...req, path: '/jwt/x', headers: { ...req.headers, authorization: `Bearer ${mintJwt(1_000_000_000 + i)}` } }
              : { ...req, path: '/opaque/x', headers: { ...req.headers, authorization: `Bearer ${opaqueToken(i)}` } }
          }
        }]
      }
    }, count / seconds)
    clearInterval(sampler)
    const at = (fraction: number): number => samples[Math.min(samples.length - 1, Math.floor(samples.length * fraction))]?.rss ?? NaN
    const tail = samples.slice(Math.floor(samples.length / 2)).map(s => s.rss)
    console.log(
      `\nmemory: ${n} requests with distinct tokens in ${fmt((Date.now() - start) / 1000)}s (jwt and introspection alternately), load average ${load1()}`
    )
    console.log(
      `gatehouse RSS MiB at 10% ${fmt(at(0.1))}, 25% ${fmt(at(0.25))}, 50% ${fmt(at(0.5))}, 75% ${fmt(at(0.75))}, ` +
        `end ${fmt(at(1))}; second half min ${fmt(Math.min(...tail))} max ${fmt(Math.max(...tail))} (spread ` +
        `${fmt(((Math.max(...tail) - Math.min(...tail)) / median(tail)) * 100, 1)}% of its median)`
    )
  }

  console.log('\n| process | peak RSS MiB (VmHWM) |\n|---|---:|')
  for (const p of procs) console.log(`| ${p.name} | ${fmt(memoryOf(p.pids()).peak)} |`)
}

try {
  await main()
} finally {
  await stopAll()
  as.close()
  await sleep(100)
  rmSync(dir, { recursive: true, force: true })
}
