/**
 * Counts of policy outcomes, kept framework- and exporter-free so the
 * metrics endpoint can publish them as they are (one series per label set).
 */
export class LabelledCounter<L extends string> {
  private readonly counts = new Map<string, { labels: Record<L, string>, value: number }>()

  constructor (readonly name: string, readonly help: string, readonly labelNames: readonly L[]) {}

  inc (labels: Record<L, string>): void {
    const key = this.labelNames.map(l => labels[l]).join('\0')
    const entry = this.counts.get(key)
    if (entry === undefined) this.counts.set(key, { labels: { ...labels }, value: 1 })
    else entry.value++
  }

  get (labels: Record<L, string>): number {
    return this.counts.get(this.labelNames.map(l => labels[l]).join('\0'))?.value ?? 0
  }

  snapshot (): Array<{ labels: Record<L, string>, value: number }> {
    return [...this.counts.values()].map(e => ({ labels: { ...e.labels }, value: e.value }))
  }
}

/**
 * A counter over two labels for the hot path: nested by value, so counting allocates
 * nothing once a pair has been seen.
 */
export class PairCounter<A extends string, B extends string> {
  private readonly counts = new Map<string, Map<string, number>>()

  constructor (readonly name: string, readonly help: string, readonly labelNames: readonly [A, B]) {}

  inc (a: string, b: string): void {
    let inner = this.counts.get(a)
    if (inner === undefined) {
      inner = new Map()
      this.counts.set(a, inner)
    }
    inner.set(b, (inner.get(b) ?? 0) + 1)
  }

  get (a: string, b: string): number {
    return this.counts.get(a)?.get(b) ?? 0
  }

  snapshot (): Array<{ labels: Record<A | B, string>, value: number }> {
    const [la, lb] = this.labelNames
    const out: Array<{ labels: Record<A | B, string>, value: number }> = []
    for (const [a, inner] of this.counts) {
      for (const [b, value] of inner) out.push({ labels: { [la]: a, [lb]: b } as Record<A | B, string>, value })
    }
    return out
  }
}

/** The policy outcome counters of one gateway process: kept in its instruments, so two gateways in one process share none. */
export interface DecisionCounters {
  /** What each authenticator made of the credentials it saw: `ok`, or the error code it answered. */
  authDecisions: PairCounter<'authenticator', 'result'>
  /** Every request the gateway refused itself (4xx), by route pattern and error code. */
  denials: LabelledCounter<'route' | 'code'>
  /** Rate-limit store failures, by route and what the route's `onRedisError` made of them. */
  rateLimitStoreErrors: LabelledCounter<'route' | 'outcome'>
}

export function createDecisionCounters (): DecisionCounters {
  return {
    authDecisions: new PairCounter('gatehouse_auth_decisions_total', 'Authenticator verdicts on presented credentials', ['authenticator', 'result'] as const),
    denials: new LabelledCounter('gatehouse_denials_total', 'Requests refused by the gateway', ['route', 'code'] as const),
    rateLimitStoreErrors: new LabelledCounter('gatehouse_rate_limit_store_errors_total', 'Rate-limit counter store failures', ['route', 'outcome'] as const)
  }
}
