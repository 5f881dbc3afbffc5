/**
 * The "best a Node proxy can do" comparison point: node:http in front of an undici Pool,
 * streaming both ways, nothing else. Run as its own process:
 *   node dist/bench/bare-proxy.js PORT UPSTREAM_URL
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { Pool } from 'undici'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'])
const pool = new Pool(process.argv[3] as string, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 })

function endToEnd (headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
  return out
}

const server = createServer((req, res) => {
  pool.stream(
    { path: req.url ?? '/', method: req.method as 'GET', headers: endToEnd(req.headers), body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
    ({ statusCode, headers }) => { res.writeHead(statusCode, endToEnd(headers)); return res },
    err => { if (err !== null && !res.headersSent) res.writeHead(502).end() }
  )
})
server.keepAliveTimeout = 120_000
server.listen(Number(process.argv[2]), '127.0.0.1')
