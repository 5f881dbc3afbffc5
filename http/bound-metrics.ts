type Value = { labels: Record<string, string | number>, value: number, metricName?: string }

/**
 * Metrics for the request path, whose label sets are resolved once, when a route is
 * compiled. prom-client's `labels(...).observe()` and `.inc()` validate and hash the label
 * set on every call; a bound series here is a plain object the request adds to. The registry
 * reads them (and the cluster aggregates them, by sum) in the shape prom-client's own give.
 * They need no registry to count: prom-client is loaded, and the registry given them, by the
 * first scrape (http/metrics.ts), and what they counted before then is in it.
 */
abstract class BoundFamily<L extends string, S extends { labels: Record<string, string> }> {
  readonly aggregator = 'sum'
  protected readonly series = new Map<string, S>()

  constructor (readonly name: string, readonly help: string, readonly labelNames: readonly L[]) {}

  protected seriesOf (labels: Record<L, string>): S {
    const key = this.labelNames.map(l => labels[l]).join('\0')
    let series = this.series.get(key)
    if (series === undefined) {
      series = this.create({ ...labels })
      this.series.set(key, series)
    }
    return series
  }

  protected abstract create (labels: Record<string, string>): S
  protected abstract values (series: S): Value[]
  abstract reset (): void

  get (): { name: string, help: string, type: string, aggregator: string, values: Value[] } {
    const values: Value[] = []
    for (const s of this.series.values()) for (const v of this.values(s)) values.push(v)
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  abstract readonly type: string
}

interface CounterSeries { labels: Record<string, string>, value: number }

export class BoundCounter<L extends string> extends BoundFamily<L, CounterSeries> {
  readonly type = 'counter'

  bind (labels: Record<L, string>): { inc: (by?: number) => void } {
    const s = this.seriesOf(labels)
    return { inc (by = 1) { s.value += by } }
  }

  protected create (labels: Record<string, string>): CounterSeries {
    return { labels, value: 0 }
  }

  protected values (s: CounterSeries): Value[] {
    return [{ labels: s.labels, value: s.value }]
  }

  reset (): void {
    for (const s of this.series.values()) s.value = 0
  }
}

/** A value that goes up and down (connections open now). */
export class BoundGauge<L extends string> extends BoundFamily<L, CounterSeries> {
  readonly type = 'gauge'

  bind (labels: Record<L, string>): { inc: (by: number) => void } {
    const s = this.seriesOf(labels)
    return { inc (by) { s.value += by } }
  }

  protected create (labels: Record<string, string>): CounterSeries {
    return { labels, value: 0 }
  }

  protected values (s: CounterSeries): Value[] {
    return [{ labels: s.labels, value: s.value }]
  }

  reset (): void {
    for (const s of this.series.values()) s.value = 0
  }
}

interface HistogramSeries { labels: Record<string, string>, counts: Float64Array, sum: number, count: number }

export class BoundHistogram<L extends string> extends BoundFamily<L, HistogramSeries> {
  readonly type = 'histogram'

  constructor (name: string, help: string, labelNames: readonly L[], private readonly buckets: readonly number[]) {
    super(name, help, labelNames)
  }

  bind (labels: Record<L, string>): { observe: (value: number) => void } {
    const s = this.seriesOf(labels)
    const buckets = this.buckets
    return {
      observe (value) {
        let i = 0
        while (i < buckets.length && value > (buckets[i] as number)) i++
        s.counts[i] = (s.counts[i] as number) + 1
        s.sum += value
        s.count++
      }
    }
  }

  protected create (labels: Record<string, string>): HistogramSeries {
    return { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 }
  }

  protected values (s: HistogramSeries): Value[] {
    const out: Value[] = []
    let cumulative = 0
    for (let i = 0; i <= this.buckets.length; i++) {
      cumulative += s.counts[i] as number
      out.push({
        labels: { ...s.labels, le: i < this.buckets.length ? (this.buckets[i] as number) : '+Inf' },
        value: cumulative,
        metricName: `${this.name}_bucket`
      })
    }
    out.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` })
    out.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` })
    return out
  }

  reset (): void {
    for (const s of this.series.values()) {
      s.counts.fill(0)
      s.sum = 0
      s.count = 0
    }
  }
}
