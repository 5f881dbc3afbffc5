/**
 * What the core reads the time from, in ms since the epoch: Date.now in production. Every
 * TTL, cooldown, expiry and rate window is measured with it, so a test moves time instead
 * of sleeping. Timers (timeouts, intervals) still run on real time.
 */
export type Clock = () => number

export const systemClock: Clock = Date.now

/** The options an lru-cache needs to measure its TTLs with `clock` (none for the system clock: it keeps its monotonic default). */
export function lruClock (clock: Clock): { perf?: { now: Clock }, ttlResolution?: number } {
  return clock === systemClock ? {} : { perf: { now: clock }, ttlResolution: 0 }
}
