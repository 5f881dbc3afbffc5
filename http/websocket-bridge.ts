import WebSocket from 'ws'
import type { FrameDirection, WebSocketSeries } from './metrics.js'
import type { Clock } from '../src/clock.js'

/** Past this many bytes queued towards one side, the other side is not read until it drains. */
const HIGH_WATER = 1024 * 1024
const LOW_WATER = 256 * 1024
/** The longest a Node timer can wait; a later deadline is reached in several waits. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface BridgeOptions {
  /** No frame either way for this long closes both sides with 1001; 0: never. */
  idleTimeoutMs: number
  /** When (ms since epoch) both sides are closed with 1008: the opening token's `exp`; undefined: never. */
  expiresAt: number | undefined
  /** What `expiresAt` is measured with: the gateway's clock, which verified the token. */
  clock: Clock
  series: WebSocketSeries
}

/**
 * A close code as the other side may be sent it: 1005 (none given) is sent as no code; 1006
 * (the connection dropped without a close frame) cannot be sent at all, so the other side is
 * told the gateway lost its peer: 1014 (bad gateway) towards the client, 1001 towards the upstream.
 */
function relayable (code: number, towards: FrameDirection): number | undefined {
  if (code === 1005) return undefined
  if (code === 1006) return towards === 'out' ? 1014 : 1001
  return code
}

/**
 * The client's WebSocket and the upstream's, joined: messages, pings and pongs cross as they
 * come (pongs are the far end's own: neither side answers pings itself), closes cross with
 * their code and reason. A side that sends faster than the other reads is paused (no more
 * reads from its socket) until what is queued drains, so memory stays bounded both ways.
 */
export class Bridge {
  /** Resolves once both sides are closed. */
  readonly closed: Promise<void>
  private idle: NodeJS.Timeout | undefined
  private expiry: NodeJS.Timeout | undefined

  constructor (private readonly inward: WebSocket, private readonly outward: WebSocket, private readonly options: BridgeOptions) {
    options.series.open(1)
    this.relay(inward, outward, 'in')
    this.relay(outward, inward, 'out')
    const ended = (ws: WebSocket): Promise<void> => new Promise(resolve => {
      if (ws.readyState === WebSocket.CLOSED) resolve()
      else ws.once('close', () => resolve())
    })
    this.closed = Promise.all([ended(inward), ended(outward)]).then(() => {
      clearTimeout(this.idle)
      clearTimeout(this.expiry)
      options.series.open(-1)
    })
    if (options.idleTimeoutMs > 0) this.idle = setTimeout(() => this.close(1001, 'idle timeout'), options.idleTimeoutMs)
    if (options.expiresAt !== undefined) this.expireAt(options.expiresAt)
  }

  /** Closes both sides with the same code (1001 going away, 1008 policy violation). */
  close (code: number, reason: string): void {
    for (const ws of [this.inward, this.outward]) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason)
    }
  }

  /** Ends both sides without a close handshake: for peers that do not answer a close. */
  terminate (): void {
    this.inward.terminate()
    this.outward.terminate()
  }

  private expireAt (at: number): void {
    const wait = at - this.options.clock()
    if (wait <= 0) {
      this.close(1008, 'token expired')
      return
    }
    this.expiry = setTimeout(() => this.expireAt(at), Math.min(wait, MAX_TIMER_MS))
  }

  private relay (from: WebSocket, to: WebSocket, direction: FrameDirection): void {
    const { series } = this.options
    const drained = (): void => {
      if (from.isPaused && to.bufferedAmount <= LOW_WATER) from.resume()
    }
    const sent = (): void => {
      this.idle?.refresh()
      if (to.bufferedAmount >= HIGH_WATER) from.pause()
    }
    from.on('message', (data: Buffer, isBinary: boolean) => {
      if (to.readyState !== WebSocket.OPEN) return
      to.send(data, { binary: isBinary }, drained)
      series.frame(direction, data.length)
      sent()
    })
    from.on('ping', (data: Buffer) => {
      if (to.readyState !== WebSocket.OPEN) return
      to.ping(data, undefined, drained)
      series.frame(direction, 0)
      sent()
    })
    from.on('pong', (data: Buffer) => {
      if (to.readyState !== WebSocket.OPEN) return
      to.pong(data, undefined, drained)
      series.frame(direction, 0)
      sent()
    })
    from.on('close', (code: number, reason: Buffer) => {
      // The other side is still being read: unpause it so its close handshake can complete.
      if (to.isPaused) to.resume()
      if (to.readyState !== WebSocket.OPEN && to.readyState !== WebSocket.CONNECTING) return
      const relayed = relayable(code, direction)
      if (relayed === undefined) to.close()
      else to.close(relayed, reason)
    })
    // A protocol error (a message over maxPayload: 1009) closes that side; its close event relays it.
    from.on('error', () => {})
  }
}
