/**
 * The bytes one process holds for slow clients (request bodies read whole before they go
 * upstream, answers a client has not read yet), against one cap, so buffering for slow
 * clients never grows without bound. One per process: it outlives every reload, which only
 * moves its limit.
 */
export class BufferBudget {
  private held = 0

  constructor (private max: number) {}

  /** Bytes held now. */
  get used (): number {
    return this.held
  }

  /** Nothing more may be held until some is released. */
  get spent (): boolean {
    return this.held >= this.max
  }

  /** A reload's new `server.buffer.total`: what is held stays held, and new holds see the new cap. */
  resize (max: number): void {
    this.max = max
  }

  /** Holds `bytes` if they fit under the cap; false (and nothing held) if they do not. */
  reserve (bytes: number): boolean {
    if (this.held + bytes > this.max) return false
    this.held += bytes
    return true
  }

  /**
   * Counts `bytes` already in memory whether or not they fit: an answer's chunk is held once
   * it is written. The caller then stops taking more while the budget is `spent`.
   */
  count (bytes: number): void {
    this.held += bytes
  }

  release (bytes: number): void {
    this.held = Math.max(0, this.held - bytes)
  }
}
