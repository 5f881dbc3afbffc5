import { Transform, type Readable, type TransformCallback } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { BufferConfig, UpstreamConfig } from '../src/config/types.js'
import { GatehouseError } from '../src/errors.js'
import { planBody } from '../src/proxy/body-plan.js'
import type { BufferBudget } from '../src/proxy/buffer-budget.js'
import { clientResponseRawHeaders } from '../src/proxy/headers.js'
import { upstreamError } from '../src/proxy/upstream-error.js'
import type { Balancer } from '../src/proxy/balancer.js'
import { answerProblem } from './errors.js'
import type { Exchange } from './exchange.js'
import { TargetPool, type UpstreamDispatcher, type UpstreamHandler } from './upstream-pool.js'

/** An upstream as the request path uses it: its targets' connection pools, its path prefix, its Host. */
export interface Upstream {
  readonly name: string
  readonly pool: UpstreamDispatcher
  /** The URL's path, without a trailing slash: prefixed to every forwarded path. */
  readonly basePath: string
  readonly host: string
  /** Each target's `ws://host:port` (`wss:` for an https upstream) and Host, in the balancer's order: where its WebSockets are opened. */
  readonly webSocketTargets: ReadonlyArray<{ origin: string, host: string }>
  /** Picks the target of a WebSocket handshake and hears how it went, as for requests. */
  readonly balancer: Balancer
  readonly retries: number
  readonly retryOn: UpstreamConfig['retryOn']
  /** How long the upstream may take to answer (a request's headers, a WebSocket handshake), and a streamed body to arrive once it has a connection. */
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
    webSocketTargets: cfg.targets.map(origin => {
      const target = new URL(origin)
      return { origin: `${target.protocol === 'https:' ? 'wss:' : 'ws:'}//${target.host}`, host: target.host }
    }),
    balancer,
    retries: cfg.retries,
    retryOn: cfg.retryOn,
    timeoutMs: cfg.timeoutMs
  }
}

export interface ForwardPolicy {
  /** The most a body may carry; a declared Content-Length was checked before, a chunked body is counted here. */
  bodyLimit: number
  /** A body read whole must arrive within this; a streamed one may send nothing this long. */
  bodyTimeoutMs: number
  /** What is held for slow clients (`server.buffer`). */
  buffer: BufferConfig
  /** A client that reads nothing of its answer this long is cut. */
  sendTimeoutMs: number
  /** The gateway's own cookies: an upstream's `Set-Cookie` for them is dropped. */
  ownCookies: ReadonlySet<string>
  /** The process's bytes held for slow clients. */
  budget: BufferBudget
}

function overloaded (): GatehouseError {
  const detail = 'the gateway holds as much for slow clients as it may (server.buffer.total); retry shortly'
  return new GatehouseError('overloaded', detail, { headers: { 'retry-after': '1' } })
}

/**
 * A request body streamed upstream: counted against the limit, and watched for a client that
 * stops sending. A stall is the client's only while nothing waits on the upstream (data
 * buffered here or in the request is the upstream being slow to read, not the client). Once
 * the request has an upstream connection, the rest must arrive within the upstream's timeout.
 */
class BodyGuard extends Transform {
  private seen = 0
  private received = false
  private readonly timer: NodeJS.Timeout
  private upload: NodeJS.Timeout | undefined

  constructor (private readonly source: NodeJS.ReadableStream & { readableLength: number }, private readonly policy: ForwardPolicy) {
    super()
    this.timer = setTimeout(() => this.stalled(), policy.bodyTimeoutMs)
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.timer.refresh()
    this.seen += chunk.length
    if (this.seen > this.policy.bodyLimit) cb(new GatehouseError('payload_too_large', `the request body is larger than ${this.policy.bodyLimit} bytes`))
    else cb(null, chunk)
  }

  override _flush (cb: TransformCallback): void {
    this.received = true
    clearTimeout(this.timer)
    clearTimeout(this.upload)
    cb()
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    clearTimeout(this.timer)
    clearTimeout(this.upload)
    cb(err)
  }

  /** The request has an upstream connection: the client has `ms` to send the rest. */
  deadline (ms: number): void {
    if (this.received || this.destroyed) return
    this.upload = setTimeout(() => {
      this.destroy(this.waiting()
        ? new GatehouseError('upstream_timeout', `the upstream did not read the request body within ${ms} ms`)
        : new GatehouseError('request_timeout', `the request body did not arrive within the upstream's timeout (${ms} ms)`))
    }, ms)
  }

  private waiting (): boolean {
    return this.source.readableLength > 0 || this.writableLength > 0 || this.readableLength > 0
  }

  private stalled (): void {
    if (this.waiting()) {
      this.timer.refresh()
      return
    }
    this.destroy(new GatehouseError('request_timeout', `the request body sent nothing for ${this.policy.bodyTimeoutMs} ms`))
  }
}

/**
 * One request's trip upstream, as an undici dispatch handler. The answer goes into the
 * client's response; a client slower than the upstream has up to `buffer.response` bytes
 * held for it (so the upstream connection goes back to the pool once the answer is in),
 * then the upstream is paused until the client catches up. A client that reads nothing for
 * `sendTimeout` is cut. Whatever happens, the pool slot is given back: the upstream request
 * is aborted when the client goes away, the body stalls or breaks; an upstream that breaks
 * off mid-body breaks the client's connection too, so a cut answer never looks whole.
 */
class UpstreamCall implements UpstreamHandler {
  private abortUpstream: ((err?: Error) => void) | undefined
  private resumeUpstream: (() => void) | undefined
  private settled = false
  private paused = false
  /** Answer bytes counted against the budget: what waits in the response for the client. */
  private held = 0
  private written = 0
  /** Answer bytes handed to the socket when the client was last seen reading, and when that was. */
  private flushed = 0
  private readAt = 0
  private sendTimer: NodeJS.Timeout | undefined

  /** `reserved`: bytes of a body read whole, held against the budget until the call is over. */
  constructor (private readonly x: Exchange, private readonly upstream: Upstream, private readonly policy: ForwardPolicy,
    private readonly body: BodyGuard | undefined, private reserved: number) {
    // The exchange's one `close` listener tells this call first.
    x.onClose = this
    // The body can fail (stall, grow past the limit, break off) while the request still waits
    // for a pool connection, before undici listens to it: answered here, whenever it happens.
    body?.on('error', err => this.bodyFailed(err))
  }

  clientClosed (): void {
    if (!this.settled) this.abort(new Error('the client went away'))
    if (this.sendTimer !== undefined) clearTimeout(this.sendTimer)
    if (this.held !== 0) this.hold(0)
  }

  private settle (): void {
    this.settled = true
    if (this.reserved > 0) {
      this.policy.budget.release(this.reserved)
      this.reserved = 0
    }
  }

  private bodyFailed (err: Error): void {
    if (this.settled) return
    this.settle()
    this.abortUpstream?.(err)
    answerProblem(this.x, err instanceof GatehouseError ? err : new GatehouseError('bad_request', 'the request body broke off'))
  }

  private abort (reason: Error): void {
    this.settle()
    this.body?.destroy()
    this.abortUpstream?.(reason)
  }

  /** What waits in the response for the client is now `bytes`: the budget follows. */
  private hold (bytes: number): void {
    if (bytes > this.held) this.policy.budget.count(bytes - this.held)
    else this.policy.budget.release(this.held - bytes)
    this.held = bytes
  }

  /** Made only for a client slower than its upstream (a write that did not go straight out). */
  private drained: (() => void) | undefined

  private onDrain (): void {
    clearTimeout(this.sendTimer)
    this.sendTimer = undefined
    this.hold(this.x.res.writableLength)
    if (this.paused && !this.settled) {
      this.paused = false
      this.resumeUpstream?.()
    }
  }

  /**
   * How long the client may read nothing: sendTimeout, but no longer than the upstream's
   * timeout while the upstream connection waits on it (paused, the answer over buffer.response).
   */
  private idleLimit (): number {
    return this.paused && !this.settled ? Math.min(this.policy.sendTimeoutMs, this.upstream.timeoutMs) : this.policy.sendTimeoutMs
  }

  private schedule (): void {
    clearTimeout(this.sendTimer)
    this.sendTimer = setTimeout(() => { this.sendCheck() }, Math.max(0, this.readAt + this.idleLimit() - performance.now()))
  }

  /** Cuts the client once it has read nothing for its idle limit; any progress moves the deadline. */
  private sendCheck (): void {
    const res = this.x.res
    const flushed = this.written - res.writableLength
    if (flushed > this.flushed) {
      this.flushed = flushed
      this.readAt = performance.now()
    }
    if (performance.now() - this.readAt < this.idleLimit()) this.schedule()
    else res.destroy()
  }

  onConnect (abort: (err?: Error) => void): void {
    this.abortUpstream = abort
    if (this.settled) abort(new Error('the client went away'))
    else this.body?.deadline(this.upstream.timeoutMs)
  }

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx informational answers (103 Early Hints) are the upstream's to its own client: not relayed.
    if (statusCode < 200) return true
    const { x } = this
    this.resumeUpstream = resume
    x.upstreamMs = x.elapsedMs() - x.forwardedMs
    x.res.writeHead(statusCode, clientResponseRawHeaders(rawHeaders, x.responseHeaders, this.policy.ownCookies, x.route?.corsPolicy !== undefined))
    return true
  }

  onData (chunk: Buffer): boolean {
    const { res } = this.x
    this.written += chunk.length
    if (res.write(chunk)) return true
    // The client is slower than the upstream: what waits for it is held, up to buffer.response.
    // 'drain' comes only after a write that did not go straight out: listened to from the first.
    if (this.drained === undefined) res.on('drain', this.drained = () => { this.onDrain() })
    const waiting = res.writableLength
    this.hold(waiting)
    const pause = waiting > this.policy.buffer.response || this.policy.budget.spent
    if (pause) this.paused = true
    if (this.sendTimer === undefined) {
      this.flushed = this.written - waiting
      this.readAt = performance.now()
      this.schedule()
    } else if (pause) this.schedule()
    return !pause
  }

  onComplete (): void {
    // Trailers are dropped on purpose: few clients read them, and forwarding them would
    // need the response chunked and declared in advance.
    this.settle()
    this.x.res.end()
  }

  onError (err: Error): void {
    const { x } = this
    // Settled already: the client went away or its body failed, and that was answered.
    if (this.settled) return
    this.settle()
    this.body?.destroy()
    if (x.upstreamMs < 0) {
      x.upstreamMs = x.elapsedMs() - x.forwardedMs
      x.upstreamFailed = !(err instanceof GatehouseError)
    }
    answerProblem(x, upstreamError(err, this.upstream.name))
  }
}

/**
 * A body small enough to read whole before its request takes an upstream connection, so a
 * client that trickles it holds none: all of it must arrive within bodyTimeout. Its bytes are
 * held against the process's budget (a declared length at once: with the budget spent, 503
 * before a byte is read). A chunked body that grows past buffer.requestBody streams after all,
 * its first chunks ahead of the rest.
 */
class WholeBody {
  private readonly chunks: Buffer[] = []
  private bytes = 0
  private readonly timer: NodeJS.Timeout

  constructor (private readonly x: Exchange, private readonly upstream: Upstream, private readonly path: string, private readonly headers: string[],
    private readonly policy: ForwardPolicy, private reserved: number, private readonly declared: boolean) {
    const late = (): void => this.fail(new GatehouseError('request_timeout', `the request body did not arrive whole within ${policy.bodyTimeoutMs} ms`))
    this.timer = setTimeout(late, policy.bodyTimeoutMs)
  }

  read (): void {
    const { req, res } = this.x
    req.on('data', this.data)
    req.on('end', this.end)
    req.on('error', this.broke)
    res.once('close', this.gone)
  }

  private stop (): void {
    clearTimeout(this.timer)
    const { req, res } = this.x
    req.off('data', this.data)
    req.off('end', this.end)
    req.off('error', this.broke)
    res.off('close', this.gone)
  }

  private readonly data = (chunk: Buffer): void => {
    this.bytes += chunk.length
    if (this.bytes > this.policy.bodyLimit) this.fail(new GatehouseError('payload_too_large', `the request body is larger than ${this.policy.bodyLimit} bytes`))
    else if (this.declared) this.chunks.push(chunk)
    else if (this.bytes > this.policy.buffer.requestBody) this.streamOn(chunk)
    else if (this.policy.budget.reserve(chunk.length)) {
      this.reserved += chunk.length
      this.chunks.push(chunk)
    } else this.fail(overloaded())
  }

  private readonly end = (): void => {
    this.stop()
    const { chunks } = this
    if (!this.declared) this.headers.push('content-length', String(this.bytes))
    // undici sends any iterable of chunks as the body: no copy into one buffer.
    const body = chunks.length === 1 ? chunks[0] as Buffer : chunks.length === 0 ? null : chunks as unknown as Readable
    dispatch(this.x, this.upstream, this.path, this.headers, body, new UpstreamCall(this.x, this.upstream, this.policy, undefined, this.reserved))
  }

  private readonly broke = (): void => {
    this.fail(new GatehouseError('bad_request', 'the request body broke off'))
  }

  private readonly gone = (): void => {
    this.stop()
    this.policy.budget.release(this.reserved)
  }

  private fail (err: GatehouseError): void {
    this.stop()
    this.policy.budget.release(this.reserved)
    answerProblem(this.x, err)
  }

  /** Past buffer.requestBody: what was read goes first, the rest streams behind it. */
  private streamOn (chunk: Buffer): void {
    this.stop()
    this.policy.budget.release(this.reserved)
    const { req } = this.x
    req.pause()
    const guard = new BodyGuard(req, this.policy)
    for (const c of this.chunks) guard.write(c)
    guard.write(chunk)
    streamBody(this.x, this.upstream, this.path, this.headers, this.policy, guard)
  }
}

function dispatch (x: Exchange, upstream: Upstream, path: string, headers: string[], body: Dispatcher.DispatchOptions['body'], call: UpstreamCall): void {
  upstream.pool.dispatch({ method: x.req.method as Dispatcher.HttpMethod, path: upstream.basePath + path, headers, body }, call)
}

function streamBody (x: Exchange, upstream: Upstream, path: string, headers: string[], policy: ForwardPolicy, guard: BodyGuard): void {
  const { req } = x
  req.on('error', err => guard.destroy(err))
  req.pipe(guard)
  dispatch(x, upstream, path, headers, guard, new UpstreamCall(x, upstream, policy, guard, 0))
}

/**
 * Sends the request upstream on the pool and streams the answer back. `path` is the path as
 * judged plus the query; `headers` the flat list the pipeline built. A request without a body
 * goes at once; a body goes as `planBody` says.
 */
export function forward (x: Exchange, upstream: Upstream, path: string, headers: string[], policy: ForwardPolicy): void {
  const { req, res } = x
  x.forwardedMs = x.elapsedMs()
  const plan = planBody(req.headers, policy.buffer.requestBody)
  if (plan.kind === 'none') {
    dispatch(x, upstream, path, headers, null, new UpstreamCall(x, upstream, policy, undefined, 0))
    return
  }
  const reserve = plan.kind === 'whole' && plan.declared !== undefined ? plan.declared : 0
  if (!policy.budget.reserve(reserve)) {
    answerProblem(x, overloaded())
    return
  }
  // The gateway answers `Expect: 100-continue` itself, once the request has passed its policy.
  if (req.headers.expect !== undefined && !res.headersSent) res.writeContinue()
  if (plan.kind === 'whole') new WholeBody(x, upstream, path, headers, policy, reserve, plan.declared !== undefined).read()
  else streamBody(x, upstream, path, headers, policy, new BodyGuard(req, policy))
}
