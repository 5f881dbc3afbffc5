/** Refused at once: `max` calls are already in flight. Never retried or queued here. */
export class InFlightLimitReached extends Error {
  constructor (readonly max: number) {
    super(`${max} calls already in flight`)
  }
}

export interface InFlightLimit {
  /** Runs `call` if fewer than `max` are running, else rejects with InFlightLimitReached without calling it. */
  run<T> (call: () => Promise<T>): Promise<T>
  /** Calls running now. */
  readonly active: number
}

/**
 * A bound on the calls one authenticator makes to its origin at once (an authorization
 * server's introspection endpoint): past it a call is refused, not queued, so a flood of
 * unseen credentials costs the origin at most `max` concurrent requests and the gateway no
 * growing queue.
 */
export function inFlightLimit (max: number): InFlightLimit {
  let active = 0
  return {
    get active () { return active },
    async run (call) {
      if (active >= max) throw new InFlightLimitReached(max)
      active++
      try {
        return await call()
      } finally {
        active--
      }
    }
  }
}
