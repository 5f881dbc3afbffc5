/**
 * Which of an upstream's targets gets the next request, and which are taken out: passive
 * health (a target that fails to connect, or answers 502/503/504, `failures` times in a row
 * is out for `cooldownMs`, then gets one request to prove itself) and, when configured, the
 * active checks' verdict. Pure state with an injected clock; the HTTP layer reports outcomes.
 */
import type { Clock } from '../clock.js'
import type { RetryOn } from '../config/types.js'

export type BalanceMode = 'round-robin' | 'least-pending'

export interface BalancerOptions {
  mode: BalanceMode
  /** Failures in a row that take a target out. */
  failures: number
  /** How long a target taken out by failures stays out. */
  cooldownMs: number
  clock: Clock
}

export interface TargetState {
  readonly url: string
  /** Requests sent and not yet answered (or failed). */
  pending: number
  /** Failures in a row (connect failures, 502/503/504); a good answer resets it. */
  streak: number
  /** Out until then (ms, the clock's), after `failures` failures in a row. */
  outUntil: number
  /** The last active check failed (always true without active checks). */
  checkedUp: boolean
  requests: number
  failed: number
}

/** What a request's trip to a target came to, for passive health. */
export type Outcome = 'ok' | 'failed'

export class Balancer {
  readonly targets: TargetState[]
  private next = 0

  constructor (urls: readonly string[], private readonly options: BalancerOptions) {
    this.targets = urls.map(url => ({ url, pending: 0, streak: 0, outUntil: 0, checkedUp: true, requests: 0, failed: 0 }))
  }

  /** In service: not taken out by failures (or its cooldown is over), and its last active check passed. */
  up (i: number): boolean {
    const t = this.targets[i] as TargetState
    return t.checkedUp && t.outUntil <= this.options.clock()
  }

  /** The balancer's clock: retries measure their deadline on it. */
  now (): number {
    return this.options.clock()
  }

  /** Whether any target is in service: /readyz reports an upstream with none. */
  healthy (): boolean {
    return this.targets.some((_t, i) => this.up(i))
  }

  /**
   * The target for a request, never one in `tried`; among those in service if any, else
   * among them all (with every target out, trying one beats refusing every request until a
   * cooldown ends). Undefined when every target was tried.
   */
  pick (tried?: ReadonlySet<number>): number | undefined {
    // One target (the common upstream): no list made per request.
    if (this.targets.length === 1) return tried?.has(0) === true ? undefined : 0
    const fresh = this.targets.map((_t, i) => i).filter(i => tried?.has(i) !== true)
    if (fresh.length === 0) return undefined
    const live = fresh.filter(i => this.up(i))
    const pool = live.length > 0 ? live : fresh
    if (this.options.mode === 'least-pending') {
      // Ties go round-robin, so an idle upstream still spreads its load.
      const least = Math.min(...pool.map(i => (this.targets[i] as TargetState).pending))
      return this.rotate(pool.filter(i => (this.targets[i] as TargetState).pending === least))
    }
    return this.rotate(pool)
  }

  private rotate (pool: number[]): number {
    const n = this.targets.length
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n
      if (pool.includes(i)) {
        this.next = (i + 1) % n
        return i
      }
    }
    return pool[0] as number
  }

  /** A request goes to target `i`. */
  start (i: number): void {
    const t = this.targets[i] as TargetState
    t.pending++
    t.requests++
  }

  /** Target `i`'s request is over: answered, failed or cut off; `outcome` only when it says something of the target's health. */
  finish (i: number, outcome: Outcome | undefined): void {
    const t = this.targets[i] as TargetState
    t.pending = Math.max(0, t.pending - 1)
    if (outcome === 'ok') {
      t.streak = 0
      t.outUntil = 0
    } else if (outcome === 'failed') {
      t.failed++
      t.streak++
      // Past the threshold every further failure (the one request after a cooldown) takes it out again.
      if (t.streak >= this.options.failures) t.outUntil = this.options.clock() + this.options.cooldownMs
    }
  }

  /** An active check's verdict on target `i`. */
  checked (i: number, up: boolean): void {
    const t = this.targets[i] as TargetState
    t.checkedUp = up
    if (up) {
      t.streak = 0
      t.outUntil = 0
    }
  }
}

/** Answers that say the target, not the request, is in trouble: they count against it. */
export function failingStatus (status: number): boolean {
  return status === 502 || status === 503 || status === 504
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
/** Errors that mean no connection was made: the target never saw a byte of the request. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])
/** Errors that mean the connection closed under the request: the target died, or dropped a keep-alive connection as it was reused. */
const CONNECTION_LOST = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

function errorCode (err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code
}

export function connectFailure (err: unknown): boolean {
  const code = errorCode(err)
  return typeof code === 'string' && CONNECT_FAILURES.has(code)
}

/** The connection was lost with the request sent and no byte of an answer read (HAProxy's empty-response). */
export function emptyResponse (c: { sent: boolean, answered: boolean, error: unknown }): boolean {
  const code = errorCode(c.error)
  return c.sent && !c.answered && typeof code === 'string' && CONNECTION_LOST.has(code)
}

export interface RetryCase {
  method: string
  /** The request has a body: once streamed, it cannot be sent again. */
  hasBody: boolean
  /** The request was handed to a connection: from then on the target may have seen it. */
  sent: boolean
  /** The target's answer had begun (its status line was read). */
  answered: boolean
  error: unknown
  /** The upstream's `retryOn`. */
  retryOn: ReadonlySet<RetryOn>
  /** Retries already made. */
  retried: number
  retries: number
  /** ms since the first attempt, against the upstream's timeout. */
  elapsedMs: number
  deadlineMs: number
}

/**
 * Whether a failed attempt may go to another target: only an idempotent request with no
 * body, at most `retries` times, while the deadline holds, and only after a failure
 * `retryOn` names: no connection made (the target never saw the request), or, when the
 * upstream allows it, the connection lost before any byte of an answer.
 */
export function mayRetry (c: RetryCase): boolean {
  if (!IDEMPOTENT.has(c.method) || c.hasBody || c.retried >= c.retries || c.elapsedMs >= c.deadlineMs) return false
  if (!c.sent) return c.retryOn.has('connect-failure') && connectFailure(c.error)
  return c.retryOn.has('empty-response') && emptyResponse(c)
}
