/**
 * The cost of authorization and a Redis-backed rate limit: one gateway, two routes on the
 * same echo upstream, identical but for `scopes` + `rateLimit` (counters in a real
 * redis-server). Run: `npm run build && node dist/bench/authz-rate-limit.js [seconds per round]`.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { listenEchoUpstream } from '../examples/echo-upstream.js'
import { startGateway } from '../plugins/server.js'
import { createLogger } from '../src/logger.js'
import { newApiKey } from '../src/cli/keys.js'

interface Result { requests: { average: number }, latency: { p50: number, p99: number }, non2xx: number, errors: number }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<Result>

async function freePort (): Promise<number> {
  return await new Promise(resolve => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

const seconds = Number(process.argv[2] ?? 10)
const redisPort = await freePort()
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
for (let i = 0; i < 100 && spawnSync('redis-cli', ['-p', String(redisPort), 'ping']).stdout?.toString().trim() !== 'PONG'; i++) await sleep(50)

const { server: echo, url: upstream } = await listenEchoUpstream()
const key = newApiKey()
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
const route = (path: string, extra: string): string => `  - match: ${path}
    upstream: orders
    policy: client
    client: [appKey]
${extra}`
writeFileSync(join(dir, 'gateway.config.yaml'), `server: { listen: 127.0.0.1:0, admin: false, logLevel: warn }
cache: { redis: "redis://127.0.0.1:${redisPort}" }
clients:
  - id: bench
    apiKeys: [{ hash: "${key.hash}" }]
    scopes: [orders:read, orders:write]
authenticators:
  appKey: { type: apiKey }
upstreams:
  orders: { url: "${upstream}" }
routes:
${route('/plain/*', '')}${route('/guarded/*', `    scopes: [orders:read, orders:write]
    rateLimit: { max: 100000000, window: 1h, by: client }
`)}`)
const gw = await startGateway(join(dir, 'gateway.config.yaml'), { logger: createLogger('warn') })

async function run (path: string): Promise<Result> {
  return await autocannon({ url: `${gw.url}${path}`, headers: { 'x-api-key': key.key }, connections: 20, duration: seconds })
}

// Alternating rounds, the median reported: the host is shared, so one long run per route would compare two different moments.
const ROUNDS = 3
try {
  await run('/plain/warm')
  const results: Record<string, Result[]> = { '/plain/1': [], '/guarded/1': [] }
  for (let i = 0; i < ROUNDS; i++) {
    for (const path of Object.keys(results)) {
      const r = await run(path)
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${path}: ${r.non2xx} non-2xx, ${r.errors} errors`)
      results[path].push(r)
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  console.log(`${ROUNDS} alternating rounds of ${seconds}s per route (median), 20 connections, one gateway process; echo upstream and redis-server on the same host\n`)
  console.log('| route | req/s | p50 ms | p99 ms |\n|---|---|---|---|')
  for (const [name, path] of [['API key only', '/plain/1'], ['API key + scopes + Redis rate limit', '/guarded/1']] as const) {
    const rs = results[path]
    console.log(`| ${name} | ${Math.round(median(rs.map(r => r.requests.average)))} | ${median(rs.map(r => r.latency.p50))} | ${median(rs.map(r => r.latency.p99))} |`)
  }
} finally {
  await gw.close()
  echo.closeAllConnections()
  echo.close()
  redis.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
}
