import { createServer, type Server } from 'node:http'
import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'

/**
 * A small real upstream: answers JSON describing what it received (method, path, headers,
 * body size and sha256), so a caller can see exactly what the gateway forwarded.
 * `/slow/<ms>` waits before answering.
 */
export function createEchoUpstream (): Server {
  return createServer((req, res) => {
    const hash = createHash('sha256')
    let bytes = 0
    req.on('data', (chunk: Buffer) => { bytes += chunk.length; hash.update(chunk) })
    req.on('end', () => {
      const slow = /^\/slow\/(\d+)/.exec(req.url ?? '')
      const answer = (): void => {
        const body = JSON.stringify({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: { bytes, sha256: hash.digest('hex') }
        })
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        res.end(body)
      }
      if (slow !== null) setTimeout(answer, Number(slow[1])).unref()
      else answer()
    })
  })
}

export async function listenEchoUpstream (port = 0, host = '127.0.0.1'): Promise<{ server: Server, url: string }> {
  const server = createEchoUpstream()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const { port: bound } = server.address() as AddressInfo
  return { server, url: `http://${host}:${bound}` }
}
