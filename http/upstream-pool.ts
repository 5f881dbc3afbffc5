import type { IncomingHttpHeaders } from 'node:http'
import { Pool, type Dispatcher } from 'undici'
import type { UpstreamConfig } from '../src/config/types.js'
import { connectFailure, emptyResponse, failingStatus, mayRetry, type Balancer, type Outcome } from '../src/proxy/balancer.js'

/** What the forwarder sends a request on: one of the upstream's targets, chosen per request. */
export interface UpstreamDispatcher {
  dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean
  destroy (): Promise<void>
}

/**
 * One request's trip to a target, between undici and the forwarder's handler: tells the
 * balancer how the target did, and sends the request to another target after a failure the
 * upstream's `retryOn` names (mayRetry: idempotent, no body, retries and deadline left).
 * undici hands a request to a connection (onRequestStart) only once connected: an error
 * before that means the target never saw a byte.
 */
class TargetAttempt implements Dispatcher.DispatchHandler {
  private sent = false
  /** What the target's answer says of its health, once its status is in. */
  private outcome: Outcome | undefined

  constructor (private readonly pool: TargetPool, private readonly options: Dispatcher.DispatchOptions, private readonly inner: Dispatcher.DispatchHandler,
    private readonly target: number, private readonly tried: Set<number>, private readonly startedAt: number) {}

  onRequestStart (controller: Dispatcher.DispatchController, context: unknown): void {
    this.sent = true
    this.inner.onRequestStart?.(controller, context)
  }

  onResponseStart (controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode >= 200) this.outcome = failingStatus(statusCode) ? 'failed' : 'ok'
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }

  onResponseData (controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk)
  }

  onResponseEnd (controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.pool.balancer.finish(this.target, this.outcome)
    this.inner.onResponseEnd?.(controller, trailers)
  }

  onResponseError (controller: Dispatcher.DispatchController, err: Error): void {
    const failure = { sent: this.sent, answered: this.outcome !== undefined, error: err }
    const targetFailed = (!this.sent && connectFailure(err)) || emptyResponse(failure)
    // Cut off mid-answer (the client went away, a timeout): the status said what it said of the target.
    this.pool.balancer.finish(this.target, this.outcome ?? (targetFailed ? 'failed' : undefined))
    const retry = targetFailed && mayRetry({
      ...failure,
      method: this.options.method,
      hasBody: this.options.body != null,
      retryOn: this.pool.config.retryOn,
      retried: this.tried.size - 1,
      retries: this.pool.config.retries,
      elapsedMs: this.pool.balancer.now() - this.startedAt,
      deadlineMs: this.pool.config.timeoutMs
    })
    if (retry && this.pool.send(this.options, this.inner, this.tried, this.startedAt)) return
    this.inner.onResponseError?.(controller, err)
  }
}

/**
 * An upstream's targets, each with its own keep-alive pool, behind one dispatcher: the
 * balancer picks the target; the Host header is the target's; active health checks, when
 * configured, run on the targets' own pools.
 */
export class TargetPool implements UpstreamDispatcher {
  private readonly pools: Pool[]
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
      const res = await (this.pools[i] as Pool).request({
        method: 'GET', path, headers: { host: this.hosts[i] as string }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs)
      })
      await res.body.dump()
      this.balancer.checked(i, res.statusCode >= 200 && res.statusCode < 400)
    } catch {
      this.balancer.checked(i, false)
    }
  }

  /** Sends on a target not tried yet; false when every target was. */
  send (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, tried: Set<number>, startedAt: number): boolean {
    const i = this.balancer.pick(tried)
    if (i === undefined) return false
    tried.add(i)
    this.balancer.start(i)
    const headers = options.headers as string[]
    const host = headers.indexOf('host')
    const withHost = host % 2 === 0 ? headers.map((v, k) => k === host + 1 ? this.hosts[i] as string : v) : headers
    ;(this.pools[i] as Pool).dispatch({ ...options, headers: withHost }, new TargetAttempt(this, options, handler, i, tried, startedAt))
    return true
  }

  dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.send(options, handler, new Set(), this.balancer.now())
  }

  async destroy (): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    await Promise.all(this.pools.map(async p => await p.destroy()))
  }
}
