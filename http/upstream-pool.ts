import type { Dispatcher, Pool as UndiciPool } from 'undici'
import Pool from 'undici/lib/dispatcher/pool.js'
import type { UpstreamConfig } from '../src/config/types.js'
import { connectFailure, emptyResponse, failingStatus, mayRetry, type Balancer, type Outcome } from '../src/proxy/balancer.js'

// undici's index loads fetch, WebSocket, the cache interceptors and the mocks beside the
// dispatchers (about twice the start-up cost of the pool alone): the forwarder imports only
// Pool's own file (typed in undici-pool.d.ts), which the bundle then carries in its chunk
// instead of leaving Node to find and compile its two dozen files at every start.

/**
 * The forwarder's side of one request: undici's handler interface on the raw header lines
 * (`onHeaders` gets `[name, value, …]` buffers; returning false pauses the upstream until
 * `resume`), so no header object and no controller are made per request.
 */
export interface UpstreamHandler extends Dispatcher.DispatchHandler {
  onConnect (abort: (err?: Error) => void): void
  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean
  onData (chunk: Buffer): boolean
  onComplete (trailers: string[] | null): void
  onError (err: Error): void
}

/** What the forwarder sends a request on: one of the upstream's targets, chosen per request. */
export interface UpstreamDispatcher {
  dispatch (options: Dispatcher.DispatchOptions, handler: UpstreamHandler): boolean
  usage (): PoolUsage
  destroy (): Promise<void>
}

/** An upstream's connections across its targets: what is open, what is answering, what waits for one. */
export interface PoolUsage {
  /** Connections with a request on them. */
  busy: number
  /** Connections open and free, kept alive for the next request. */
  idle: number
  /** Requests waiting for a connection. */
  queued: number
}

/**
 * One request's trip to a target, between undici and the forwarder's handler: tells the
 * balancer how the target did, and sends the request to another target after a failure the
 * upstream's `retryOn` names (mayRetry: idempotent, no body, retries and deadline left).
 * undici hands a request to a connection (onConnect) only once connected: an error
 * before that means the target never saw a byte.
 */
class TargetAttempt implements UpstreamHandler {
  private sent = false
  /** What the target's answer says of its health, once its status is in. */
  private outcome: Outcome | undefined

  constructor (private readonly pool: TargetPool, private readonly options: Dispatcher.DispatchOptions, private readonly inner: UpstreamHandler,
    private readonly target: number, private readonly tried: Set<number> | undefined, private readonly startedAt: number) {}

  onConnect (abort: (err?: Error) => void): void {
    this.sent = true
    this.inner.onConnect(abort)
  }

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode >= 200) this.outcome = failingStatus(statusCode) ? 'failed' : 'ok'
    return this.inner.onHeaders(statusCode, rawHeaders, resume, statusText)
  }

  onData (chunk: Buffer): boolean {
    return this.inner.onData(chunk)
  }

  onComplete (trailers: string[] | null): void {
    this.pool.balancer.finish(this.target, this.outcome)
    this.inner.onComplete(trailers)
  }

  onError (err: Error): void {
    const failure = { sent: this.sent, answered: this.outcome !== undefined, error: err }
    const targetFailed = (!this.sent && connectFailure(err)) || emptyResponse(failure)
    // Cut off mid-answer (the client went away, a timeout): the status said what it said of the target.
    this.pool.balancer.finish(this.target, this.outcome ?? (targetFailed ? 'failed' : undefined))
    const retry = targetFailed && mayRetry({
      ...failure,
      method: this.options.method,
      hasBody: this.options.body != null,
      retryOn: this.pool.config.retryOn,
      retried: this.tried === undefined ? 0 : this.tried.size - 1,
      retries: this.pool.config.retries,
      elapsedMs: this.pool.balancer.now() - this.startedAt,
      deadlineMs: this.pool.config.timeoutMs
    })
    if (retry && this.pool.send(this.options, this.inner, this.tried ?? new Set([this.target]), this.startedAt)) return
    this.inner.onError(err)
  }
}

/**
 * An upstream's targets, each with its own keep-alive pool, behind one dispatcher: the
 * balancer picks the target; the Host header is the target's; active health checks, when
 * configured, run on the targets' own pools.
 */
export class TargetPool implements UpstreamDispatcher {
  private readonly pools: UndiciPool[]
  private readonly hosts: string[]
  private readonly timers: NodeJS.Timeout[] = []

  constructor (readonly config: UpstreamConfig, readonly balancer: Balancer, basePath: string) {
    this.pools = config.targets.map(origin => new Pool(origin, {
      connections: config.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      connect: { rejectUnauthorized: true }
    }))
    this.hosts = config.targets.map(origin => new URL(origin).host)
    const check = config.healthCheck
    if (check !== undefined) {
      for (const [i] of this.pools.entries()) {
        const run = (): void => { void this.check(i, basePath + check.path, check.timeoutMs) }
        run()
        const timer = setInterval(run, check.intervalMs)
        timer.unref()
        this.timers.push(timer)
      }
    }
  }

  private async check (i: number, path: string, timeoutMs: number): Promise<void> {
    try {
      const res = await (this.pools[i] as UndiciPool).request({
        method: 'GET',
        path,
        headers: { host: this.hosts[i] as string },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs)
      })
      await res.body.dump()
      this.balancer.checked(i, res.statusCode >= 200 && res.statusCode < 400)
    } catch {
      this.balancer.checked(i, false)
    }
  }

  /**
   * Sends on a target not tried yet; false when every target was. The Host is the target's, set
   * in the request's own header list. `tried` is made only for a retry: a first attempt has tried none.
   */
  send (options: Dispatcher.DispatchOptions, handler: UpstreamHandler, tried: Set<number> | undefined, startedAt: number): boolean {
    const i = this.balancer.pick(tried)
    if (i === undefined) return false
    tried?.add(i)
    this.balancer.start(i)
    const headers = options.headers as string[]
    const host = headers[0] === 'host' ? 0 : headers.indexOf('host')
    if (host % 2 === 0) headers[host + 1] = this.hosts[i] as string
    ;(this.pools[i] as UndiciPool).dispatch(options, new TargetAttempt(this, options, handler, i, tried, startedAt))
    return true
  }

  dispatch (options: Dispatcher.DispatchOptions, handler: UpstreamHandler): boolean {
    return this.send(options, handler, undefined, this.balancer.now())
  }

  usage (): PoolUsage {
    const usage = { busy: 0, idle: 0, queued: 0 }
    for (const pool of this.pools) {
      const { connected, free, pending } = pool.stats
      usage.busy += connected - free
      usage.idle += free
      usage.queued += pending
    }
    return usage
  }

  async destroy (): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    await Promise.all(this.pools.map(async p => await p.destroy()))
  }
}
