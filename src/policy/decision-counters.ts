/**
 * Process-wide counts of policy outcomes, kept framework- and exporter-free so the
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

/** Every request the gateway refused itself (4xx), by route pattern and error code. */
export const denials = new LabelledCounter('gatehouse_denials_total', 'Requests refused by the gateway', ['route', 'code'] as const)

/** Rate-limit store failures, by route and what the route's `onRedisError` made of them. */
export const rateLimitStoreErrors = new LabelledCounter('gatehouse_rate_limit_store_errors_total', 'Rate-limit counter store failures', ['route', 'outcome'] as const)
