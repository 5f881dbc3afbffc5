/**
 * The benchmark's upstream, run as its own process: plain node:http answering a small JSON,
 * as fast as Node answers anything, so what is measured in front of it is the proxy's cost.
 *   node dist/bench/upstream.js PORT
 */
import { createServer } from 'node:http'

const body = Buffer.from(JSON.stringify({ ok: true, service: 'bench-upstream', items: [1, 2, 3] }))
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  })
})
server.keepAliveTimeout = 120_000
server.listen(Number(process.argv[2]), '127.0.0.1')
