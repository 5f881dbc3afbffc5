import type { IncomingHttpHeaders } from 'node:http'
import { Transform, type TransformCallback } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { UpstreamConfig } from '../src/config/types.js'
import { GatehouseError } from '../src/errors.js'
import { clientResponseHeaders } from '../src/proxy/headers.js'
import { upstreamError } from '../src/proxy/upstream-error.js'
import type { Balancer } from '../src/proxy/balancer.js'
import { answerProblem } from './errors.js'
import type { Exchange } from './exchange.js'
import { TargetPool, type UpstreamDispatcher } from './upstream-pool.js'

/** An upstream as the request path uses it: its targets' connection pools, its path prefix, its Host. */
export interface Upstream {
  readonly name: string
  readonly pool: UpstreamDispatcher
  /** The URL's path, without a trailing slash: prefixed to every forwarded path. */
  readonly basePath: string
  readonly host: string
  /** `ws://host:port` (`wss:` for an https upstream): where its WebSockets are opened. */
  readonly webSocketOrigin: string
  /** How long the upstream may take to answer (a request's headers, a WebSocket handshake). */
  readonly timeoutMs: number
}

export function createUpstream (cfg: UpstreamConfig, balancer: Balancer): Upstream {
  const url = new URL(cfg.url)
  const basePath = url.pathname.replace(/\/$/, '')
  return {
    name: cfg.name,
    pool: new TargetPool(cfg, balancer, basePath),
    basePath,
    host: url.host,
    webSocketOrigin: `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`,
    timeoutMs: cfg.timeoutMs
  }
}

export interface BodyPolicy {
  /** The most a body may carry; a declared Content-Length was checked before, a chunked body is counted here. */
  limit: number
  /** How long a body may send nothing before it is answered 408. */
  timeoutMs: number
}

/**
 * The request body on its way upstream: counted against the limit, and watched for a client
 * that stops sending. A stall is the client's only while nothing waits on the upstream (data
 * buffered here or in the request is the upstream being slow to read, not the client).
 */
class BodyGuard extends Transform {
  private seen = 0
  private readonly timer: NodeJS.Timeout

  constructor (private readonly source: NodeJS.ReadableStream & { readableLength: number }, private readonly policy: BodyPolicy) {
    super()
    this.timer = setTimeout(() => this.stalled(), policy.timeoutMs)
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.timer.refresh()
    this.seen += chunk.length
    if (this.seen > this.policy.limit) cb(new GatehouseError('payload_too_large', `the request body is larger than ${this.policy.limit} bytes`))
    else cb(null, chunk)
  }

  override _flush (cb: TransformCallback): void {
    clearTimeout(this.timer)
    cb()
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    clearTimeout(this.timer)
    cb(err)
  }

  private stalled (): void {
    if (this.source.readableLength > 0 || this.writableLength > 0 || this.readableLength > 0) {
      this.timer.refresh()
      return
    }
    this.destroy(new GatehouseError('request_timeout', `the request body sent nothing for ${this.policy.timeoutMs} ms`))
  }
}

function hasBody (headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')
}

/**
 * One request's trip upstream, as an undici dispatch handler: the response streams straight
 * into the client's response with backpressure both ways. Whatever happens, the pool slot is
 * given back: the upstream request is aborted when the client goes away, the body stalls or
 * breaks; an upstream that breaks off mid-body breaks the client's connection too, so a cut
 * answer never looks whole.
 */
class UpstreamCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private settled = false
  private readonly resume = (): void => this.controller?.resume()

  constructor (private readonly x: Exchange, private readonly upstream: Upstream, private readonly body: BodyGuard | undefined) {
    x.res.once('close', () => {
      if (!this.settled) this.abort(new Error('the client went away'))
    })
    // The body can fail (stall, grow past the limit, break off) while the request still waits
    // for a pool connection, before undici listens to it: answered here, whenever it happens.
    body?.on('error', err => this.bodyFailed(err))
  }

  private bodyFailed (err: Error): void {
    if (this.settled) return
    this.settled = true
    this.controller?.abort(err)
    answerProblem(this.x, err instanceof GatehouseError ? err : new GatehouseError('bad_request', 'the request body broke off'))
  }

  private abort (reason: Error): void {
    this.settled = true
    this.body?.destroy()
    this.controller?.abort(reason)
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.settled) controller.abort(new Error('the client went away'))
  }

  onResponseStart (_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx informational answers (103 Early Hints) are the upstream's to its own client: not relayed.
    if (statusCode < 200) return
    const { x } = this
    x.upstreamMs = x.elapsedMs() - x.forwardedMs
    x.res.writeHead(statusCode, clientResponseHeaders(headers, x.responseHeaders, x.route?.corsPolicy !== undefined))
    x.res.on('drain', this.resume)
  }

  onResponseData (controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.x.res.write(chunk)) controller.pause()
  }

  onResponseEnd (): void {
    // Trailers are dropped on purpose: few clients read them, and forwarding them would
    // need the response chunked and declared in advance.
    this.settled = true
    this.x.res.end()
  }

  onResponseError (_controller: Dispatcher.DispatchController, err: Error): void {
    const { x } = this
    // Settled already: the client went away or its body failed, and that was answered.
    if (this.settled) return
    this.settled = true
    this.body?.destroy()
    if (x.upstreamMs < 0) {
      x.upstreamMs = x.elapsedMs() - x.forwardedMs
      x.upstreamFailed = !(err instanceof GatehouseError)
    }
    answerProblem(x, upstreamError(err, this.upstream.name))
  }
}

/**
 * Sends the request upstream on the pool and streams the answer back. `path` is the path as
 * judged plus the query; `headers` the flat list the pipeline built.
 */
export function forward (x: Exchange, upstream: Upstream, path: string, headers: string[], policy: BodyPolicy): void {
  const { req, res } = x
  let body: BodyGuard | undefined
  if (hasBody(req.headers)) {
    body = new BodyGuard(req, policy)
    req.on('error', err => body?.destroy(err))
    req.pipe(body)
    // The gateway answers `Expect: 100-continue` itself, once the request has passed its policy.
    if (req.headers.expect !== undefined && !res.headersSent) res.writeContinue()
  }
  x.forwardedMs = x.elapsedMs()
  upstream.pool.dispatch({
    method: req.method as Dispatcher.HttpMethod,
    path: upstream.basePath + path,
    headers,
    body: body ?? null
  }, new UpstreamCall(x, upstream, body))
}
