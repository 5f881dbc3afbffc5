import type { Clock } from '../../src/clock.js'

/** A clock a test moves forward instead of sleeping. */
export interface TestClock extends Clock {
  advance (ms: number): void
}

/**
 * Real time plus whatever the test added: for a gateway with real sockets, where time must
 * still flow (timeouts, tokens signed by helpers with the real time) but TTLs, cooldowns and
 * expiries can be jumped over.
 */
export function skewedClock (): TestClock {
  let offset = 0
  const clock = (() => Date.now() + offset) as TestClock
  clock.advance = ms => { offset += ms }
  return clock
}

/** Time that stands still until the test moves it: for unit tests of the core. */
export function manualClock (start = Date.UTC(2030, 0, 1)): TestClock {
  let now = start
  const clock = (() => now) as TestClock
  clock.advance = ms => { now += ms }
  return clock
}
