import type { Gauge, Registry } from 'prom-client'
import { BoundCounter, BoundGauge, BoundHistogram } from './bound-metrics.js'
import { isWorker, metricsFromPrimary, shareWorkerRegistry } from './cluster-metrics.js'
import type { Gateway, Instruments } from '../src/gateway.js'
import { newCacheCounters } from '../src/cache/two-tier.js'
import type { BufferBudget } from '../src/proxy/buffer-budget.js'
import type { TargetState } from '../src/proxy/balancer.js'
import { createDecisionCounters } from '../src/telemetry/decision-counters.js'
import type { PoolUsage } from './upstream-pool.js'
import { importCommonJs } from '../src/import-commonjs.js'

/** Index = status / 100; 0 stands for "no answer" (an upstream that failed). */
const STATUS_CLASSES = ['error', '1xx', '2xx', '3xx', '4xx', '5xx'] as const

/** The gateway's own time is small: the buckets resolve tenths of a millisecond. */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

interface Inc { inc: (value?: number) => void }
// prom-client's Registry.PROMETHEUS_CONTENT_TYPE, known before prom-client is loaded.
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
interface Observe { observe: (value: number) => void }

export interface Metrics {
  /** Of the exposition text. */
  readonly contentType: string
  /** The exposition text: this process's series, or the whole cluster's in a worker. */
  render (): Promise<string>
  /** Handed to each config's gateway, so its cache and authenticators count into this registry. */
  readonly instruments: Pick<Instruments, 'cacheCounters' | 'counters' | 'observe'>
  /** Scrape-time series (Redis state, config hash) read the gateway this returns: the config in force. */
  follow (current: () => Gateway): void
  reloaded (ok: boolean): void
  /** The series of one route (its pattern, or an endpoint's path; '' for no route), bound once per config. */
  route (label: string, upstream: string | undefined): RouteSeries
  /** The WebSocket series of one route (its pattern), bound once per config. */
  webSocket (label: string): WebSocketSeries
  /** One decision API answer, by front door (nginx, traefik, envoy) and decision (allow, deny, login, error). */
  decided (door: string, decision: string, seconds: number): void
  /**
   * An upstream's pool, read at scrape time until the returned function is called (its app
   * closed): a reload's old pools count as long as they are open, beside the new ones.
   */
  upstreamPool (upstream: string, usage: () => PoolUsage): () => void
}

/** How an upgrade ended: switched, refused by the route's policy, or by (or for want of) the upstream. */
export type UpgradeOutcome = 'opened' | 'denied' | 'upstream_refused' | 'upstream_failed'
/** `in`: from the client towards the upstream; `out`: from the upstream to the client. */
export type FrameDirection = 'in' | 'out'

export interface WebSocketSeries {
  upgrade (outcome: UpgradeOutcome): void
  /** One more open connection (+1) or one fewer (-1). */
  open (delta: 1 | -1): void
  /** One message, ping or pong relayed; `bytes` of message payload (0 for a ping or pong). */
  frame (direction: FrameDirection, bytes: number): void
}

export interface RouteSeries {
  /**
   * What one answered request adds to the metrics, from its fields (no object per request):
   * `forwardedMs`, ms until the request went upstream, and `upstreamMs`, ms from then until the
   * upstream's response headers or failure, are -1 when it never went.
   */
  record (method: string, status: number, elapsedMs: number, forwardedMs: number, upstreamMs: number, upstreamFailed: boolean, rateLimited: boolean): void
}

interface Series {
  requests: BoundCounter<'route' | 'method' | 'status_class'>
  duration: BoundHistogram<'route' | 'method' | 'status_class'>
  overhead: BoundHistogram<'route'>
  upstream: BoundHistogram<'upstream' | 'status_class'>
  rateLimited: BoundCounter<'route'>
}

/**
 * One route's label children, bound when the route is compiled: recording a request is a
 * lookup by method and status class, never a label-set hash.
 */
function bindRouteSeries (label: string, upstreamName: string | undefined, s: Series): RouteSeries {
  const byMethod = new Map<string, Array<{ inc: Inc['inc'], duration: Observe } | undefined>>()
  const overhead = s.overhead.bind({ route: label })
  const upstreamByClass: Array<Observe | undefined> = []
  let rateLimited: Inc | undefined
  return {
    record (method, status, elapsedMs, forwardedMs, upstreamMs, upstreamFailed, isRateLimited) {
      const cls = (status / 100) | 0
      let classes = byMethod.get(method)
      if (classes === undefined) byMethod.set(method, classes = [])
      let series = classes[cls]
      if (series === undefined) {
        const name = STATUS_CLASSES[cls] ?? 'error'
        const labels = { route: label, method, status_class: name }
        series = classes[cls] = { inc: s.requests.bind(labels).inc, duration: s.duration.bind(labels) }
      }
      series.inc()
      series.duration.observe(elapsedMs / 1000)
      overhead.observe((forwardedMs >= 0 ? forwardedMs : elapsedMs) / 1000)
      if (upstreamName !== undefined && upstreamMs >= 0) {
        const i = upstreamFailed ? 0 : cls
        const child = upstreamByClass[i] ?? (upstreamByClass[i] = s.upstream.bind({ upstream: upstreamName, status_class: STATUS_CLASSES[i] ?? 'error' }))
        child.observe(upstreamMs / 1000)
      }
      if (isRateLimited) (rateLimited ??= s.rateLimited.bind({ route: label })).inc()
    }
  }
}

/** Copies a plain core counter into a prom-client counter at scrape time. */
function mirror (
  Counter: typeof import('prom-client').Counter,
  registry: Registry,
  source: { name: string, help: string, labelNames: readonly string[], snapshot: () => Array<{ labels: Record<string, string>, value: number }> }
): void {
  new Counter({
    name: source.name,
    help: source.help,
    labelNames: source.labelNames,
    registers: [registry],
    collect () {
      this.reset()
      for (const { labels, value } of source.snapshot()) this.inc(labels, value)
    }
  })
}

/** What the scrape-time series read: state the gateway keeps whether or not anyone scrapes. */
interface ScrapeSources {
  current: () => Gateway | undefined
  cacheCounters: ReturnType<typeof newCacheCounters>
  counters: ReturnType<typeof createDecisionCounters>
  pools: Set<{ upstream: string, usage: () => PoolUsage }>
  buffers: BufferBudget
}

/**
 * The registry, with the default metrics and every series computed at scrape time. Built by
 * the first scrape (or at a worker's start), so a start never pays for loading prom-client:
 * the request path counts in plain fields (`families`), which the registry then reads.
 */
async function buildRegistry (families: readonly object[], sources: ScrapeSources): Promise<Registry> {
  const { Counter, Gauge, Registry, collectDefaultMetrics } = await importCommonJs(async () => await import('prom-client'))
  const { cacheCounters, counters, pools, buffers } = sources
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  for (const family of families) registry.registerMetric(family as never)

  new Gauge({
    name: 'gatehouse_config_info',
    help: 'The config in force: 1, labelled with the first 12 hex digits of its sha256',
    labelNames: ['hash'],
    // Workers each report the same 1: the cluster's value is that 1, not the sum.
    aggregator: 'max',
    registers: [registry],
    collect () {
      this.reset()
      const current = sources.current()
      if (current !== undefined) this.set({ hash: current.config.hash.slice(0, 12) }, 1)
    }
  })
  new Gauge({
    name: 'gatehouse_redis_up',
    help: 'Redis connections: 1 up, 0 down; absent when not in use (cache: cache and its invalidation ' +
      "subscriber; rate_limit: the limiter's counter store, when a route has a rate limit)",
    labelNames: ['connection'],
    // One worker without Redis makes the cluster's value 0.
    aggregator: 'min',
    registers: [registry],
    collect () {
      this.reset()
      const gateway = sources.current()
      if (gateway === undefined) return
      if (gateway.cache.redisState !== 'none') this.set({ connection: 'cache' }, gateway.cache.redisState === 'up' ? 1 : 0)
      // Only a limiter that counts in Redis has a connection: without a rate-limited route (none)
      // or without Redis (local) a 0 here would fire the redis-down alert forever.
      const limiter = gateway.health().checks.rateLimitStore
      if (limiter !== undefined && limiter !== 'none' && limiter !== 'local') this.set({ connection: 'rate_limit' }, limiter === 'ok' ? 1 : 0)
    }
  })
  // Per target, read from the balancers of the config in force (a reload starts them at 0).
  const perTarget = (read: (t: TargetState, up: boolean) => number) => function (this: Gauge) {
    this.reset()
    const current = sources.current()
    if (current === undefined) return
    for (const [upstreamName, balancer] of current.balancers) {
      for (const [i, t] of balancer.targets.entries()) this.set({ upstream: upstreamName, target: t.url }, read(t, balancer.up(i)))
    }
  }
  const targetLabels = ['upstream', 'target']
  new Gauge({
    name: 'gatehouse_upstream_target_up',
    help: 'Upstream targets in service: 1, or 0 when taken out (failures in a row, or a failed active check)',
    labelNames: targetLabels,
    aggregator: 'min',
    registers: [registry],
    collect: perTarget((_t, up) => up ? 1 : 0)
  })
  new Gauge({
    name: 'gatehouse_upstream_target_requests',
    help: 'Requests sent to each upstream target since the config was loaded',
    labelNames: targetLabels,
    registers: [registry],
    collect: perTarget(t => t.requests)
  })
  new Gauge({
    name: 'gatehouse_upstream_target_failures',
    help: 'Failures of each upstream target since the config was loaded: connections refused or timed out, 502, 503, 504',
    labelNames: targetLabels,
    registers: [registry],
    collect: perTarget(t => t.failed)
  })
  const localTier = (name: string, help: string, read: (usage: { entries: number, bytes: number }) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect () {
        const current = sources.current()
        if (current !== undefined) this.set(read(current.cache.localUsage))
      }
    })
  }
  localTier(
    'gatehouse_cache_local_bytes',
    'Bytes the in-process cache tier holds, as counted against cache.local.maxSize (keys, values and bookkeeping, estimated)',
    u => u.bytes
  )
  localTier('gatehouse_cache_local_entries', 'Entries the in-process cache tier holds (bounded by cache.local.maxEntries)', u => u.entries)
  new Counter({
    name: 'gatehouse_cache_lookups_total',
    help: 'Cache lookups of verified credentials, by tier and result',
    labelNames: ['tier', 'result'],
    registers: [registry],
    collect () {
      this.reset()
      this.inc({ tier: 'local', result: 'hit' }, cacheCounters.localHits)
      this.inc({ tier: 'local', result: 'miss' }, cacheCounters.localMisses)
      this.inc({ tier: 'redis', result: 'hit' }, cacheCounters.redisHits)
      this.inc({ tier: 'redis', result: 'miss' }, cacheCounters.redisMisses)
    }
  })
  new Gauge({
    name: 'gatehouse_buffered_bytes',
    help: 'Bytes held now for slow clients: request bodies read whole before going upstream, answers not yet read (bounded by server.buffer.total)',
    registers: [registry],
    collect () { this.set(buffers.used) }
  })
  const plain = (name: string, help: string, read: () => number): void => {
    new Counter({ name, help, registers: [registry], collect () { this.reset(); this.inc(read()) } })
  }
  plain('gatehouse_cache_loads_total', 'Cache misses that went to the origin (introspection endpoint, signature check)', () => cacheCounters.loads)
  plain('gatehouse_cache_redis_errors_total', 'Redis commands of the cache that failed', () => cacheCounters.redisErrors)
  plain('gatehouse_cache_redis_fallbacks_total', 'Cache operations that skipped Redis because it was down or failing', () => cacheCounters.redisFallbacks)
  plain(
    'gatehouse_cache_integrity_failures_total',
    'Redis cache values ignored because their HMAC (cache.integrityKey) did not check out',
    () => cacheCounters.integrityFailures
  )
  plain('gatehouse_cache_invalidations_total', 'Local entries dropped on a purge or revocation heard through Redis', () => cacheCounters.invalidations)
  mirror(Counter, registry, counters.authDecisions)
  mirror(Counter, registry, counters.denials)
  mirror(Counter, registry, counters.rateLimitStoreErrors)

  const poolGauge = (name: string, help: string, labelNames: string[], read: (u: PoolUsage) => Array<[Record<string, string>, number]>): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect () {
        this.reset()
        const sums = new Map<string, { labels: Record<string, string>, value: number }>()
        for (const pool of pools) {
          for (const [labels, value] of read(pool.usage())) {
            const all = { upstream: pool.upstream, ...labels }
            const key = JSON.stringify(all)
            const sum = sums.get(key) ?? { labels: all, value: 0 }
            sum.value += value
            sums.set(key, sum)
          }
        }
        for (const { labels, value } of sums.values()) this.set(labels, value)
      }
    })
  }
  poolGauge('gatehouse_upstream_connections', 'Connections open to each upstream, by state (busy: a request on it; idle: kept alive for the next one)',
    ['upstream', 'state'], u => [[{ state: 'busy' }, u.busy], [{ state: 'idle' }, u.idle]])
  poolGauge('gatehouse_upstream_queued_requests', 'Requests waiting for a connection to their upstream (its pool at server.upstreams.*.connections)',
    ['upstream'], u => [[{}, u.queued]])

  if (isWorker()) await shareWorkerRegistry(registry)
  return registry
}

/**
 * `buffers`: the process's bytes held for slow clients, read at scrape time. One per process:
 * it outlives every reload. In a cluster worker the registry is built before this returns
 * (before the worker listens): the primary asks every worker for its series at each scrape.
 */
export async function createMetrics (buffers: BufferBudget): Promise<Metrics> {
  let current: (() => Gateway) | undefined
  const cacheCounters = newCacheCounters()
  const counters = createDecisionCounters()
  const pools = new Set<{ upstream: string, usage: () => PoolUsage }>()
  const families: object[] = []
  const family = <F extends object>(f: F): F => { families.push(f); return f }

  const requests = family(new BoundCounter(
    'gatehouse_requests_total',
    'Requests answered, by route pattern, method and status class',
    ['route', 'method', 'status_class']
  ))
  const duration = family(new BoundHistogram(
    'gatehouse_request_duration_seconds',
    'Time from arrival to the last byte of the answer',
    ['route', 'method', 'status_class'],
    LATENCY_BUCKETS
  ))
  const overhead = family(new BoundHistogram(
    'gatehouse_gateway_overhead_seconds',
    "The gateway's own time: from arrival until the request is sent upstream, or until the gateway answers itself",
    ['route'],
    OVERHEAD_BUCKETS
  ))
  const upstream = family(new BoundHistogram(
    'gatehouse_upstream_duration_seconds',
    "From sending the request upstream to the upstream's response headers (or its failure)",
    ['upstream', 'status_class'],
    LATENCY_BUCKETS
  ))
  const rateLimited = family(new BoundCounter('gatehouse_rate_limited_total', 'Requests refused with 429 by a route\'s rate limit', ['route']))
  const originCalls = family(new BoundHistogram(
    'gatehouse_auth_origin_duration_seconds',
    'Calls to introspection endpoints and JWKS URIs, by outcome (error: unreachable, refused or unusable answer)',
    ['call', 'authenticator', 'outcome'],
    LATENCY_BUCKETS
  ))
  const reloads = family(new BoundCounter('gatehouse_config_reloads_total', 'Config reloads, by result (failed: the config in force was kept)', ['result']))
  const reloadResults = { ok: reloads.bind({ result: 'ok' }), failed: reloads.bind({ result: 'failed' }) }

  const routes = new Map<string, RouteSeries>()
  const routeSeries = (label: string, upstreamName: string | undefined): RouteSeries => {
    const key = `${label}\0${upstreamName ?? ''}`
    let series = routes.get(key)
    if (series === undefined) {
      series = bindRouteSeries(label, upstreamName, { requests, duration, overhead, upstream, rateLimited })
      routes.set(key, series)
    }
    return series
  }

  const wsOpen = family(new BoundGauge('gatehouse_websocket_connections', 'WebSocket connections open now, by route pattern', ['route']))
  const wsUpgrades = family(new BoundCounter(
    'gatehouse_websocket_upgrades_total',
    "WebSocket upgrade requests, by route pattern and outcome (opened, denied by the route's policy, upstream_refused, upstream_failed)",
    ['route', 'outcome']
  ))
  const wsFrames = family(new BoundCounter(
    'gatehouse_websocket_frames_total',
    'WebSocket messages, pings and pongs relayed, by route pattern and direction (in: client to upstream; out: upstream to client)',
    ['route', 'direction']
  ))
  const wsBytes = family(new BoundCounter(
    'gatehouse_websocket_bytes_total',
    'WebSocket message payload bytes relayed, by route pattern and direction',
    ['route', 'direction']
  ))
  const webSocketSeries = (label: string): WebSocketSeries => {
    // Bound once: a message adds to a plain series, no label lookup per frame.
    const open = wsOpen.bind({ route: label })
    const upgrades = new Map<UpgradeOutcome, Inc>()
    const frames = { in: wsFrames.bind({ route: label, direction: 'in' }), out: wsFrames.bind({ route: label, direction: 'out' }) }
    const bytes = { in: wsBytes.bind({ route: label, direction: 'in' }), out: wsBytes.bind({ route: label, direction: 'out' }) }
    return {
      upgrade (outcome) {
        let child = upgrades.get(outcome)
        if (child === undefined) upgrades.set(outcome, child = wsUpgrades.bind({ route: label, outcome }))
        child.inc()
      },
      open (delta) { open.inc(delta) },
      frame (direction, n) {
        frames[direction].inc()
        if (n > 0) bytes[direction].inc(n)
      }
    }
  }

  const decisions = family(new BoundCounter(
    'gatehouse_decisions_total',
    'Decision API answers, by front door (nginx, traefik, envoy) and decision (allow, deny, login, error)',
    ['door', 'decision']
  ))
  const decisionDuration = family(new BoundHistogram(
    'gatehouse_decision_duration_seconds',
    'Decision API time, from arrival to the answer, by front door',
    ['door'],
    OVERHEAD_BUCKETS
  ))

  let registry: Promise<Registry> | undefined
  const sources: ScrapeSources = { current: () => current?.(), cacheCounters, counters, pools, buffers }
  const load = async (): Promise<Registry> => await (registry ??= buildRegistry(families, sources))
  if (isWorker()) await load()
  return {
    contentType: CONTENT_TYPE,
    render: async () => isWorker() ? await metricsFromPrimary() : await (await load()).metrics(),
    instruments: {
      cacheCounters,
      counters,
      observe (call, authenticator, seconds, ok) {
        originCalls.bind({ call, authenticator, outcome: ok ? 'ok' : 'error' }).observe(seconds)
      }
    },
    follow (source) { current = source },
    reloaded (ok) { reloadResults[ok ? 'ok' : 'failed'].inc() },
    route: routeSeries,
    webSocket: webSocketSeries,
    decided (door, decision, seconds) {
      decisions.bind({ door, decision }).inc()
      decisionDuration.bind({ door }).observe(seconds)
    },
    upstreamPool (upstream, usage) {
      const entry = { upstream, usage }
      pools.add(entry)
      return () => { pools.delete(entry) }
    }
  }
}
