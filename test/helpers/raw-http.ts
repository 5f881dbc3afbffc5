import { connect, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Echo } from './upstream.js'

interface Teardown { teardown (fn: () => unknown): void }

/**
 * HTTP/1.1 read byte for byte: no library between the test and the wire, so what a proxy
 * added, dropped or mangled is visible (hop-by-hop headers, 100 Continue, chunk framing,
 * trailers, a body cut short).
 */
export interface RawMessage {
  /** `HTTP/1.1 200 OK` or `GET /x HTTP/1.1`. */
  startLine: string
  /** Responses: the status code; requests: 0. */
  status: number
  /** Requests: method and target as sent. */
  method: string
  target: string
  /** Header lines in order, names as sent. */
  headers: Array<[string, string]>
  /** The head as text, up to and including the blank line. */
  head: string
  /** The body after de-chunking. */
  body: Buffer
  /** The body bytes exactly as on the wire (chunk framing included). */
  rawBody: Buffer
  chunked: boolean
  /** Sizes of the chunks as framed on the wire (chunked only, the 0-chunk excluded). */
  chunkSizes: number[]
  /** Trailer lines after the 0-chunk (chunked only). */
  trailers: Array<[string, string]>
  /** False when the connection ended before the framing said the message was over. */
  complete: boolean
}

/** The first value of a header (case-insensitive), or undefined. */
export function header (m: Pick<RawMessage, 'headers'>, name: string): string | undefined {
  return m.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
}

/** Every value of a header, one per header line. */
export function headerAll (m: Pick<RawMessage, 'headers'>, name: string): string[] {
  return m.headers.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v)
}

/** Lower-cased names of every header line. */
export function headerNames (m: Pick<RawMessage, 'headers'>): string[] {
  return m.headers.map(([k]) => k.toLowerCase())
}

const CRLF2 = Buffer.from('\r\n\r\n')

/**
 * Parses one message at the start of `buf`. Returns undefined when more bytes are needed,
 * unless `eof`: then whatever is there is returned with `complete: false`.
 * `noBody`: the answer to a HEAD (a 1xx, 204 or 304 never has one either).
 */
export function parseMessage (
  buf: Buffer,
  kind: 'request' | 'response',
  options: { noBody?: boolean, eof?: boolean } = {}
): { message: RawMessage, used: number } | undefined {
  const end = buf.indexOf(CRLF2)
  if (end === -1) return undefined
  const head = buf.subarray(0, end + 4).toString('latin1')
  const lines = head.slice(0, -4).split('\r\n')
  const startLine = lines[0]
  const headers: Array<[string, string]> = []
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    headers.push(colon === -1 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).trim()])
  }
  const parts = startLine.split(' ')
  const status = kind === 'response' ? Number(parts[1]) : 0
  const message: RawMessage = {
    startLine,
    status,
    method: kind === 'request' ? parts[0] : '',
    target: kind === 'request' ? parts[1] : '',
    headers,
    head,
    body: Buffer.alloc(0),
    rawBody: Buffer.alloc(0),
    chunked: false,
    chunkSizes: [],
    trailers: [],
    complete: true
  }
  let pos = end + 4
  const noBody = options.noBody === true || (kind === 'response' && ((status >= 100 && status < 200) || status === 204 || status === 304))
  if (noBody) return { message, used: pos }
  const te = header(message, 'transfer-encoding')
  const cl = header(message, 'content-length')
  if (te !== undefined && /chunked\s*$/i.test(te)) {
    message.chunked = true
    const parts: Buffer[] = []
    const start = pos
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos)
      if (lineEnd === -1) break
      const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1').split(';')[0], 16)
      if (Number.isNaN(size)) throw new Error(`bad chunk size line: ${JSON.stringify(buf.subarray(pos, lineEnd).toString('latin1'))}`)
      if (size === 0) {
        // Trailers, then an empty line.
        let p = lineEnd + 2
        const trailers: Array<[string, string]> = []
        for (;;) {
          const e = buf.indexOf('\r\n', p)
          if (e === -1) break
          const line = buf.subarray(p, e).toString('latin1')
          p = e + 2
          if (line === '') {
            message.trailers = trailers
            message.body = Buffer.concat(parts)
            message.rawBody = buf.subarray(start, p)
            return { message, used: p }
          }
          const colon = line.indexOf(':')
          trailers.push([line.slice(0, colon), line.slice(colon + 1).trim()])
        }
        break
      }
      if (buf.length < lineEnd + 2 + size + 2) {
        if (options.eof === true) parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size))
        break
      }
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size))
      message.chunkSizes.push(size)
      pos = lineEnd + 2 + size + 2
    }
    if (options.eof !== true) return undefined
    message.body = Buffer.concat(parts)
    message.rawBody = buf.subarray(start)
    message.complete = false
    return { message, used: buf.length }
  }
  if (cl !== undefined) {
    const length = Number(cl)
    if (buf.length - pos < length) {
      if (options.eof !== true) return undefined
      message.body = message.rawBody = buf.subarray(pos)
      message.complete = false
      return { message, used: buf.length }
    }
    message.body = message.rawBody = buf.subarray(pos, pos + length)
    return { message, used: pos + length }
  }
  if (kind === 'request') return { message, used: pos }
  // A response without framing lasts until the connection closes.
  if (options.eof !== true) return undefined
  message.body = message.rawBody = buf.subarray(pos)
  return { message, used: buf.length }
}

/** A client connection that writes exactly the bytes given and reads responses off the wire. */
export class RawConnection {
  readonly socket: Socket
  /** Everything received so far. */
  received: Buffer = Buffer.alloc(0)
  /** Bytes received but not yet taken by response(). */
  private pending: Buffer = Buffer.alloc(0)
  /** True once the server closed its side (or the socket failed). */
  ended = false
  /** Set when the socket failed (ECONNRESET and the like). */
  error: Error | undefined
  readonly closed: Promise<void>
  private readonly wakers = new Set<() => void>()

  constructor (socket: Socket) {
    this.socket = socket
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d])
      this.pending = Buffer.concat([this.pending, d])
      this.wake()
    })
    this.closed = new Promise(resolve => {
      socket.on('error', err => { this.error = err })
      socket.on('close', () => { this.ended = true; this.wake(); resolve() })
    })
  }

  private wake (): void {
    for (const w of [...this.wakers]) w()
  }

  write (data: string | Buffer): void {
    this.socket.write(data)
  }

  /** Half-closes: the server sees the end of the request stream. */
  end (): void {
    this.socket.end()
  }

  destroy (): void {
    this.socket.destroy()
  }

  /** Waits until `predicate` holds; false if the connection closed first or `ms` passed. */
  async waitFor (predicate: () => boolean, ms = 15_000): Promise<boolean> {
    if (predicate()) return true
    return await new Promise(resolve => {
      const check = (): void => {
        if (predicate()) finish(true)
        else if (this.ended) finish(false)
      }
      const timer = setTimeout(() => finish(predicate()), ms)
      const finish = (v: boolean): void => { clearTimeout(timer); this.wakers.delete(check); resolve(v) }
      this.wakers.add(check)
      check()
    })
  }

  /** Waits until the text appears in what was received; false on close or timeout. */
  async waitForText (text: string, ms = 15_000): Promise<boolean> {
    return await this.waitFor(() => this.received.includes(text), ms)
  }

  /**
   * The next response on the connection (a 1xx is a response of its own). When the
   * connection ends mid-message, that message with `complete: false`; when it ends (or
   * `ms` passes) before any head arrived, an error carrying the bytes seen.
   */
  async response (options: { head?: boolean, ms?: number } = {}): Promise<RawMessage> {
    // Generous: it returns at the answer, and a busy machine must not turn a slow answer into a failure.
    const ms = options.ms ?? 15_000
    let parsed: ReturnType<typeof parseMessage>
    const ok = await this.waitFor(() => {
      parsed = parseMessage(this.pending, 'response', { noBody: options.head, eof: this.ended })
      return parsed !== undefined
    }, ms)
    if (!ok || parsed === undefined) {
      throw new Error(
        `${this.ended ? 'connection closed' : `no response within ${ms} ms`}; received: ${JSON.stringify(this.pending.toString('latin1').slice(0, 2000))}`
      )
    }
    this.pending = this.pending.subarray(parsed.used)
    return parsed.message
  }

  /** Whether the server closed the connection within `ms`. */
  async closedWithin (ms: number): Promise<boolean> {
    return await Promise.race([this.closed.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), ms).unref())])
  }
}

/** The `host:port` of an `http://host:port` URL. */
function hostPort (url: string): { host: string, port: number } {
  const u = new URL(url)
  return { host: u.hostname, port: Number(u.port) }
}

/** Opens a connection to the listener of `url`; destroyed when the test ends. */
export async function rawConnect (t: Teardown, url: string): Promise<RawConnection> {
  const { host, port } = hostPort(url)
  const socket = connect({ host, port })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.setNoDelay(true)
  const conn = new RawConnection(socket)
  t.teardown(() => socket.destroy())
  return conn
}

/**
 * Sends `bytes` on a new connection and returns the first final response (a 1xx before
 * it is skipped), parsed from the wire; `head`: it answers a HEAD request.
 */
export async function rawRequest (
  t: Teardown,
  url: string,
  bytes: string | Buffer,
  options: { head?: boolean, ms?: number } = {}
): Promise<RawMessage & { connection: RawConnection }> {
  const conn = await rawConnect(t, url)
  conn.write(bytes)
  for (;;) {
    const res = await conn.response(options)
    if (res.status >= 200 || res.status < 100) return Object.assign(res, { connection: conn })
  }
}

/** `GET path` with a Host header and extra header lines, as bytes. */
export function requestBytes (method: string, target: string, host: string, headerLines: string[] = [], body = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}`, ...headerLines]
  if (body !== '' && !headerLines.some(l => /^(content-length|transfer-encoding):/i.test(l))) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return lines.join('\r\n') + '\r\n\r\n' + body
}

/** The `host:port` of a URL, for Host headers. */
export function hostOf (url: string): string {
  return new URL(url).host
}

export interface RawUpstream {
  url: string
  /** Every request received so far, parsed from the wire. */
  requests: RawMessage[]
  /** The sockets the gateway opened, for tests that reset or stall them. */
  sockets: Set<Socket>
  /** How many connections are open now. */
  readonly open: number
  server: Server
}

/**
 * An upstream speaking raw HTTP/1.1 over `net`: each request (head and body, read by its
 * framing) goes to `onRequest` with the socket, which writes whatever bytes it likes.
 * Closed, with every connection destroyed, when the test ends.
 */
export async function startRawUpstream (t: Teardown, onRequest: (req: RawMessage, socket: Socket) => void): Promise<RawUpstream> {
  const requests: RawMessage[] = []
  const sockets = new Set<Socket>()
  const server = createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      for (;;) {
        const parsed = parseMessage(buf, 'request')
        if (parsed === undefined) return
        buf = buf.subarray(parsed.used)
        requests.push(parsed.message)
        onRequest(parsed.message, socket)
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  t.teardown(() => new Promise<void>(resolve => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, requests, sockets, get open () { return sockets.size }, server }
}

/** A complete response with a sized body, as bytes. */
export function responseBytes (status: number, headerLines: string[], body = ''): string {
  const reason: Record<number, string> = { 200: 'OK', 204: 'No Content', 304: 'Not Modified', 404: 'Not Found' }
  const lines = [`HTTP/1.1 ${status} ${reason[status] ?? 'Status'}`, ...headerLines]
  if (status !== 204 && status !== 304 && !headerLines.some(l => /^(content-length|transfer-encoding):/i.test(l))) {
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  }
  return lines.join('\r\n') + '\r\n\r\n' + body
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** The echo upstream's JSON from a body, or an empty echo when the gateway answered something else. */
export function echoOf (body: Buffer | string): Echo {
  try {
    const echo = JSON.parse(body.toString()) as Echo
    if (typeof echo.headers === 'object' && echo.headers !== null) return echo
  } catch {}
  return { method: '', url: '', headers: {}, body: { bytes: -1, sha256: '' } }
}

/** The `code` of a problem+json body, or undefined when the body is something else. */
export function problemCode (body: Buffer | string): string | undefined {
  try {
    return (JSON.parse(body.toString()) as { code?: string }).code
  } catch {
    return undefined
  }
}
