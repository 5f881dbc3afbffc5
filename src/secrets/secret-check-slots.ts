/**
 * scrypt runs on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise),
 * which file, DNS and crypto work (JWT signatures) share: at most half of it hashes secrets.
 */
export const MAX_CONCURRENT_CHECKS = Math.max(1, Math.floor((Number(process.env.UV_THREADPOOL_SIZE) || 4) / 2))
/** Checks for one name (a client id, a Basic user) at once: a flood against one name cannot take every slot. */
export const MAX_CONCURRENT_CHECKS_PER_NAME = 1

/** What checks secrets: the token endpoint (client secrets), Basic authenticators (passwords). */
export type SecretCheckFeature = 'oauth' | 'basic'

export type CheckSlot =
  | { ok: true, release: () => void }
  | { ok: false, /** Which cap was reached: this name's, or this feature's. */ busy: 'name' | 'overall' }

/**
 * The slots one gateway runs secret checks in. The total (MAX_CONCURRENT_CHECKS) is split
 * between the features the config uses, each at least one slot: a flood against one
 * feature (random Basic credentials on a public route) fills only that feature's slots,
 * never the token endpoint's. A check that cannot start at once is refused, never queued
 * (a queue is what an attacker would fill). Each gateway holds its own: two in one process
 * share nothing.
 */
export class SecretCheckSlots {
  readonly budgets: ReadonlyMap<SecretCheckFeature, number>
  /** Checks started in a slot so far: each slot taken runs one scrypt. */
  runs = 0
  /** The most checks running at once, every feature together. */
  peak = 0
  private running = 0
  private readonly inFlight = new Map<SecretCheckFeature, number>()
  private readonly byName = new Map<string, number>()

  constructor (features: readonly SecretCheckFeature[], total = MAX_CONCURRENT_CHECKS) {
    const used = [...new Set(features)]
    const each = Math.max(1, Math.floor(total / Math.max(1, used.length)))
    this.budgets = new Map(used.map(f => [f, each]))
  }

  /** Checks of `feature` running now. */
  active (feature: SecretCheckFeature): number {
    return this.inFlight.get(feature) ?? 0
  }

  /** A slot for one check of `name` (a client id, `<authenticator>:<user>`) by `feature`, or why there is none. */
  take (feature: SecretCheckFeature, name: string): CheckSlot {
    const key = `${feature}:${name}`
    const forName = this.byName.get(key) ?? 0
    if (forName >= MAX_CONCURRENT_CHECKS_PER_NAME) return { ok: false, busy: 'name' }
    const active = this.active(feature)
    // A feature this gateway was not built with has no slots: refused (503), never unbounded.
    if (active >= (this.budgets.get(feature) ?? 0)) return { ok: false, busy: 'overall' }
    this.byName.set(key, forName + 1)
    this.inFlight.set(feature, active + 1)
    this.runs++
    this.peak = Math.max(this.peak, ++this.running)
    let released = false
    return {
      ok: true,
      release: () => {
        if (released) return
        released = true
        this.running--
        this.inFlight.set(feature, this.active(feature) - 1)
        const left = (this.byName.get(key) ?? 1) - 1
        if (left <= 0) this.byName.delete(key)
        else this.byName.set(key, left)
      }
    }
  }
}
