/**
 * `node dist/bench/websocket.js [--seconds 8] [--connections 32] [--size 128]`: WebSocket
 * messages per second and round-trip latency, straight to an echo upstream and through
 * gatehouse (a JWT-authenticated `websocket: true` route), each in its own process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { CLI, freePort, START_FLAGS, startProc, stopAll, waitForHttp } from './procs.js'
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, mintJwt } from './tokens.js'

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    size: { type: 'string', default: '128' }
  }
})
const SECONDS = Number(opt.seconds)
const CONNECTIONS = Number(opt.connections)
const SIZE = Number(opt.size)

/** The upstream: ws's own echo server, answering HTTP 200 on / so waitForHttp can see it up. */
const ECHO = `
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
const server = createServer((req, res) => res.end('ok'))
const wss = new WebSocketServer({ server, perMessageDeflate: false })
wss.on('connection', ws => ws.on('message', (data, binary) => ws.send(data, { binary })))
server.listen(Number(process.argv[1]), '127.0.0.1')
`

interface Result { messages: number, perSecond: number, p50: number, p99: number }

/** Each connection sends a message, waits for its echo, sends the next: closed-loop round trips. */
async function run (url: string, headers: Record<string, string>): Promise<Result> {
  const payload = Buffer.alloc(SIZE, 97)
  const latencies: number[] = []
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false })
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    return ws
  }))
  const end = Date.now() + SECONDS * 1000
  await Promise.all(sockets.map(async ws => {
    while (Date.now() < end) {
      const sent = process.hrtime.bigint()
      await new Promise<void>(resolve => {
        ws.once('message', () => resolve())
        ws.send(payload)
      })
      latencies.push(Number(process.hrtime.bigint() - sent) / 1e6)
    }
    ws.close()
  }))
  latencies.sort((a, b) => a - b)
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return { messages: latencies.length, perSecond: Math.round(latencies.length / SECONDS), p50: at(0.5), p99: at(0.99) }
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ws-bench-'))
try {
  const upstreamPort = await freePort()
  startProc('echo', process.execPath, ['--input-type=module', '-e', ECHO, String(upstreamPort)])
  await waitForHttp(`http://127.0.0.1:${upstreamPort}/`)
  const port = await freePort()
  const config = join(dir, 'gateway.config.yaml')
  writeFileSync(config, `server: { listen: 127.0.0.1:${port}, admin: false, logLevel: warn }
authenticators:
  idp: { type: jwt, issuer: "${JWT_ISSUER}", audience: ${JWT_AUDIENCE}, secret: "${JWT_SECRET}", algorithms: [HS256] }
upstreams: { live: { url: "http://127.0.0.1:${upstreamPort}" } }
routes: [{ match: /live/*, upstream: live, policy: user, user: [idp], websocket: true }]
`)
  startProc('gatehouse', process.execPath, [...START_FLAGS, CLI, 'start', '-c', config])
  await waitForHttp(`http://127.0.0.1:${port}/live/up`, { authorization: `Bearer ${mintJwt(1)}` })
  const direct = await run(`ws://127.0.0.1:${upstreamPort}/live/x`, {})
  const through = await run(`ws://127.0.0.1:${port}/live/x`, { authorization: `Bearer ${mintJwt(1)}` })
  const fmt = (ms: number): string => `${ms.toFixed(2)} ms`
  console.log(`${CONNECTIONS} connections, ${SIZE}-byte messages, ${SECONDS} s each, closed-loop echo\n`)
  console.log('| target | messages/s | p50 round trip | p99 round trip |')
  console.log('|---|---|---|---|')
  for (const [name, r] of [['direct', direct], ['gatehouse', through]] as const) console.log(`| ${name} | ${r.perSecond} | ${fmt(r.p50)} | ${fmt(r.p99)} |`)
  console.log(`\nadded by gatehouse: p50 +${fmt(through.p50 - direct.p50)}, p99 +${fmt(through.p99 - direct.p99)}`)
} finally {
  await stopAll()
  rmSync(dir, { recursive: true, force: true })
}
