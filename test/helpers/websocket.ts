import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer, type RawData } from 'ws'

interface Teardown { teardown (fn: () => unknown): void }

/** What the upstream saw of one handshake. */
export interface Handshake {
  url: string
  headers: IncomingHttpHeaders
  /** The subprotocol it chose ('' for none). */
  protocol: string
}

export interface WsUpstream {
  /** `http://127.0.0.1:port`, for the config's upstreams. */
  url: string
  /** Every handshake that reached it, accepted or not. */
  handshakes: Handshake[]
  /** The close code and reason of every connection, as the upstream received them. */
  closes: Array<{ code: number, reason: string }>
  /** The connections open now, for the test to drive from the upstream's end. */
  sockets: Set<WebSocket>
  /** How many messages it received, over all connections. */
  readonly received: number
}

/**
 * A real WebSocket upstream (ws): it chooses the subprotocol `chat` when offered, sends what
 * it saw of the handshake as its first message, then echoes every message; `close CODE REASON`
 * makes it close with that code. With `refuse`, every handshake is answered that HTTP status.
 */
export async function startWsUpstream (t: Teardown, options: { refuse?: number } = {}): Promise<WsUpstream> {
  const handshakes: Handshake[] = []
  const closes: WsUpstream['closes'] = []
  const sockets = new Set<WebSocket>()
  let received = 0
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: offered => offered.has('chat') ? 'chat' : false,
    verifyClient: (info, verdict) => {
      if (options.refuse === undefined) verdict(true)
      else {
        handshakes.push({ url: info.req.url ?? '', headers: info.req.headers, protocol: '' })
        verdict(false, options.refuse, 'refused by the upstream')
      }
    }
  })
  server.on('connection', (ws, req) => {
    const seen = { url: req.url ?? '', headers: req.headers, protocol: ws.protocol }
    handshakes.push(seen)
    sockets.add(ws)
    ws.on('close', (code, reason) => {
      sockets.delete(ws)
      closes.push({ code, reason: reason.toString() })
    })
    ws.send(JSON.stringify(seen))
    ws.on('message', (data, isBinary) => {
      received++
      const text = isBinary ? '' : data.toString()
      const command = /^close (\d+) ?(.*)$/.exec(text)
      if (command !== null) ws.close(Number(command[1]), command[2])
      else ws.send(data, { binary: isBinary })
    })
  })
  await new Promise<void>(resolve => server.once('listening', () => resolve()))
  const { port } = server.address() as AddressInfo
  t.teardown(() => new Promise<void>(resolve => {
    for (const ws of server.clients) ws.terminate()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${port}`, handshakes, closes, sockets, get received () { return received } }
}

export type Opened = { kind: 'open', ws: WebSocket, hello: Handshake, protocol: string }
export type Refused = { kind: 'refused', status: number, headers: IncomingHttpHeaders, body: string }

/**
 * Opens a WebSocket through the gateway (`url` is http://…): either it opens, and the
 * upstream's first message (its view of the handshake) is read, or the gateway's HTTP answer is.
 */
export async function openWs (
  url: string,
  options: { headers?: Record<string, string>, protocols?: string[], maxPayload?: number } = {}
): Promise<Opened | Refused> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), options.protocols ?? [], { headers: options.headers, maxPayload: options.maxPayload })
  return await new Promise((resolve, reject) => {
    ws.once('unexpected-response', (req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => {
        req.destroy()
        resolve({ kind: 'refused', status: res.statusCode ?? 0, headers: res.headers, body })
      })
    })
    ws.once('error', reject)
    ws.once('message', data => resolve({ kind: 'open', ws, hello: JSON.parse(data.toString()) as Handshake, protocol: ws.protocol }))
  })
}

/** Opens and insists it opened. */
export async function mustOpen (url: string, options: Parameters<typeof openWs>[1] = {}): Promise<Opened> {
  const r = await openWs(url, options)
  if (r.kind !== 'open') throw new Error(`expected the WebSocket to open, got ${r.status}: ${r.body}`)
  return r
}

export async function nextMessage (ws: WebSocket): Promise<{ data: RawData, isBinary: boolean }> {
  return await new Promise(resolve => ws.once('message', (data, isBinary) => resolve({ data, isBinary })))
}

export async function closed (ws: WebSocket): Promise<{ code: number, reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('already closed')
  return await new Promise(resolve => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
}
