/**
 * Warm-cache throughput of an introspection route against a `policy: public` route, and how
 * many introspection calls the authorization server sees per 10,000 requests.
 *
 *   npm run build && node dist/bench/introspection.js [seconds=10] [connections=50] [tokens=100]
 *
 * The gateway runs as its own process (the built CLI); the upstream and a minimal RFC 7662
 * endpoint run here, so both routes pay the same proxying cost.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { listenEchoUpstream } from '../examples/echo-upstream.js'

/** The part of autocannon's API used here (the package ships no types). */
interface CannonRequest { headers?: Record<string, string> }
interface CannonResult { requests: { average: number, total: number }, latency: { p99: number }, non2xx: number }
type Cannon = (opts: { url: string, connections: number, duration: number, requests: Array<{ setupRequest: (req: CannonRequest) => CannonRequest }> }) => Promise<CannonResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon

const [seconds = 10, connections = 50, tokenCount = 100] = process.argv.slice(2).map(Number)

async function main (): Promise<void> {
  const tokens = Array.from({ length: tokenCount }, () => randomBytes(24).toString('base64url'))
  const known = new Set(tokens)
  let introspections = 0
  const as = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      introspections++
      const token = new URLSearchParams(body).get('token') ?? ''
      const answer = known.has(token)
        ? { active: true, sub: `user-${tokens.indexOf(token)}`, scope: 'orders:read', client_id: 'bench', exp: Math.floor(Date.now() / 1000) + 3600 }
        : { active: false }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
    })
  })
  await new Promise<void>(r => as.listen(0, '127.0.0.1', r))
  const asUrl = `http://127.0.0.1:${(as.address() as AddressInfo).port}`
  const upstream = await listenEchoUpstream()

  const port = await new Promise<number>(r => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as AddressInfo).port
      probe.close(() => r(p))
    })
  })
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
  const file = join(dir, 'gateway.config.yaml')
  writeFileSync(file, `server:
  listen: 127.0.0.1:${port}
  logLevel: warn
authenticators:
  oauth: { type: introspection, endpoint: "${asUrl}/introspect", clientId: gateway, clientSecret: bench-secret, cacheTtl: 5m }
upstreams:
  echo: { url: "${upstream.url}", connections: 128 }
routes:
  - match: /public/*
    upstream: echo
    policy: public
  - match: /api/*
    upstream: echo
    policy: user
    user: [oauth]
`)
  const gateway = spawn(process.execPath, [resolve(import.meta.dirname, '../src/cli/main.js'), 'start', '-c', file], { stdio: ['ignore', 'ignore', 'inherit'] })
  const base = `http://127.0.0.1:${port}`
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/public/ping`)).ok) break
      } catch {}
      if (i > 100) throw new Error('the gateway did not start')
      await new Promise(r => setTimeout(r, 100))
    }
    for (const token of tokens) await fetch(`${base}/api/warm`, { headers: { authorization: `Bearer ${token}` } })
    const warmCalls = introspections

    let next = 0
    const run = async (path: string, withToken: boolean, duration = seconds): Promise<CannonResult> => await autocannon({
      url: `${base}${path}`,
      connections,
      duration,
      requests: [{
        setupRequest: req => withToken ? { ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length] as string}` } } : req
      }]
    })
    // JIT and connection pools warm up on both routes before anything is measured.
    await run('/public/x', false, 3)
    await run('/api/x', true, 3)
    const warmedCalls = introspections
    const rows: Array<{ route: string, rps: number, p99: number, non2xx: number, total: number }> = []
    for (let round = 0; round < 2; round++) {
      for (const [route, path, withToken] of [['public', '/public/x', false], ['introspection', '/api/x', true]] as const) {
        const r = await run(path, withToken)
        rows.push({ route, rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, total: r.requests.total })
      }
    }
    const avg = (route: string): number => {
      const of = rows.filter(r => r.route === route)
      return of.reduce((s, r) => s + r.rps, 0) / of.length
    }
    const benchRequests = rows.filter(r => r.route === 'introspection').reduce((s, r) => s + r.total, 0)
    const benchCalls = introspections - warmedCalls
    for (const r of rows) console.log(`${r.route.padEnd(14)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${String(r.p99).padStart(4)} ms  non-2xx ${r.non2xx}`)
    console.log(`introspection / public throughput: ${(100 * avg('introspection') / avg('public')).toFixed(1)}%`)
    console.log(`authorization-server calls: ${warmCalls} while warming ${tokens.length} tokens; ${benchCalls} during ${benchRequests} warm requests (${(benchCalls / benchRequests * 10_000).toFixed(2)} per 10,000)`)
  } finally {
    gateway.kill('SIGTERM')
    upstream.server.close()
    as.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
