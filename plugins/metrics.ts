import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { isWorker, metricsFromPrimary, shareWorkerRegistry } from './cluster-metrics.js'
import type { Gateway, Instruments } from '../src/gateway.js'
import { newCacheCounters } from '../src/cache/two-tier.js'
import { authDecisions, denials, rateLimitStoreErrors } from '../src/policy/decision-counters.js'
import './types.js'

/** Index = status / 100; 0 stands for "no answer" (an upstream that failed). */
const STATUS_CLASSES = ['error', '1xx', '2xx', '3xx', '4xx', '5xx'] as const

/** The gateway's own time is small: the buckets resolve tenths of a millisecond. */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

interface Inc { inc: (value?: number) => void }
interface Observe { observe: (value: number) => void }

/** prom-client children by label values, cached in nested maps keyed by strings the request already holds. */
class Children<T> {
  private readonly byA = new Map<string, Map<string, T[]>>()

  constructor (private readonly make: (a: string, b: string, i: number) => T) {}

  get (a: string, b: string, i: number): T {
    let byB = this.byA.get(a)
    if (byB === undefined) {
      byB = new Map()
      this.byA.set(a, byB)
    }
    let list = byB.get(b)
    if (list === undefined) {
      list = []
      byB.set(b, list)
    }
    return list[i] ?? (list[i] = this.make(a, b, i))
  }
}

export interface Metrics {
  /** One per process: it outlives every reload. */
  readonly registry: Registry
  /** The exposition text: this process's series, or the whole cluster's in a worker. */
  render (): Promise<string>
  /** Handed to each config's gateway, so its cache and authenticators count into this registry. */
  readonly instruments: Instruments
  /** Scrape-time series (Redis state, config hash) read the gateway this returns: the config in force. */
  follow (current: () => Gateway): void
  reloaded (ok: boolean): void
  request (request: FastifyRequest, reply: FastifyReply): void
}

/** Copies a plain core counter into a prom-client counter at scrape time. */
function mirror (registry: Registry, source: { name: string, help: string, labelNames: readonly string[], snapshot: () => Array<{ labels: Record<string, string>, value: number }> }): void {
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

export function createMetrics (): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  let current: (() => Gateway) | undefined
  const cacheCounters = newCacheCounters()

  const requests = new Counter({
    name: 'gatehouse_requests_total',
    help: 'Requests answered, by route pattern, method and status class',
    labelNames: ['route', 'method', 'status_class'],
    registers: [registry]
  })
  const duration = new Histogram({
    name: 'gatehouse_request_duration_seconds',
    help: 'Time from arrival to the last byte of the answer',
    labelNames: ['route', 'method', 'status_class'],
    buckets: LATENCY_BUCKETS,
    registers: [registry]
  })
  const overhead = new Histogram({
    name: 'gatehouse_gateway_overhead_seconds',
    help: 'The gateway\'s own time: from arrival until the request is sent upstream, or until the gateway answers itself',
    labelNames: ['route'],
    buckets: OVERHEAD_BUCKETS,
    registers: [registry]
  })
  const upstream = new Histogram({
    name: 'gatehouse_upstream_duration_seconds',
    help: 'From sending the request upstream to the upstream\'s response headers (or its failure)',
    labelNames: ['upstream', 'status_class'],
    buckets: LATENCY_BUCKETS,
    registers: [registry]
  })
  const rateLimited = new Counter({
    name: 'gatehouse_rate_limited_total',
    help: 'Requests refused with 429 by a route\'s rate limit',
    labelNames: ['route'],
    registers: [registry]
  })
  const originCalls = new Histogram({
    name: 'gatehouse_auth_origin_duration_seconds',
    help: 'Calls to introspection endpoints and JWKS URIs, by outcome (error: unreachable, refused or unusable answer)',
    labelNames: ['call', 'authenticator', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry]
  })
  const reloads = new Counter({
    name: 'gatehouse_config_reloads_total',
    help: 'Config reloads, by result (failed: the config in force was kept)',
    labelNames: ['result'],
    registers: [registry]
  })
  reloads.inc({ result: 'ok' }, 0)
  reloads.inc({ result: 'failed' }, 0)

  new Gauge({
    name: 'gatehouse_config_info',
    help: 'The config in force: 1, labelled with the first 12 hex digits of its sha256',
    labelNames: ['hash'],
    // Workers each report the same 1: the cluster's value is that 1, not the sum.
    aggregator: 'max',
    registers: [registry],
    collect () {
      this.reset()
      if (current !== undefined) this.set({ hash: current().config.hash.slice(0, 12) }, 1)
    }
  })
  new Gauge({
    name: 'gatehouse_redis_up',
    help: 'Redis connections: 1 up, 0 down; absent when not configured (cache: cache and its invalidation subscriber; rate_limit: the limiter\'s counter store)',
    labelNames: ['connection'],
    // One worker without Redis makes the cluster's value 0.
    aggregator: 'min',
    registers: [registry],
    collect () {
      this.reset()
      if (current === undefined) return
      const gateway = current()
      if (gateway.cache.redisState !== 'none') this.set({ connection: 'cache' }, gateway.cache.redisState === 'up' ? 1 : 0)
      const limiter = gateway.health().checks.rateLimitStore
      if (limiter !== undefined) this.set({ connection: 'rate_limit' }, limiter === 'ok' ? 1 : 0)
    }
  })
  const localTier = (name: string, help: string, read: (usage: { entries: number, bytes: number }) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect () {
        if (current !== undefined) this.set(read(current().cache.localUsage))
      }
    })
  }
  localTier('gatehouse_cache_local_bytes', 'Bytes the in-process cache tier holds, as counted against cache.local.maxSize (keys, values and bookkeeping, estimated)', u => u.bytes)
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
  const plain = (name: string, help: string, read: () => number): void => {
    new Counter({ name, help, registers: [registry], collect () { this.reset(); this.inc(read()) } })
  }
  plain('gatehouse_cache_loads_total', 'Cache misses that went to the origin (introspection endpoint, signature check)', () => cacheCounters.loads)
  plain('gatehouse_cache_redis_errors_total', 'Redis commands of the cache that failed', () => cacheCounters.redisErrors)
  plain('gatehouse_cache_redis_fallbacks_total', 'Cache operations that skipped Redis because it was down or failing', () => cacheCounters.redisFallbacks)
  plain('gatehouse_cache_invalidations_total', 'Local entries dropped on a purge or revocation heard through Redis', () => cacheCounters.invalidations)
  mirror(registry, authDecisions)
  mirror(registry, denials)
  mirror(registry, rateLimitStoreErrors)

  const requestSeries = new Children<Inc & { duration: Observe }>((route, method, i) => {
    const cls = STATUS_CLASSES[i] ?? 'error'
    const counter = requests.labels(route, method, cls)
    return { inc: counter.inc, duration: duration.labels(route, method, cls) }
  })
  const overheadSeries = new Children<Observe>(route => overhead.labels(route))
  const upstreamSeries = new Children<Observe>((name, _b, i) => upstream.labels(name, STATUS_CLASSES[i] ?? 'error'))
  const rateLimitedSeries = new Children<Inc>(route => rateLimited.labels(route))

  if (isWorker()) shareWorkerRegistry(registry)
  return {
    registry,
    render: async () => isWorker() ? await metricsFromPrimary() : await registry.metrics(),
    instruments: {
      cacheCounters,
      observe (call, authenticator, seconds, ok) {
        originCalls.observe({ call, authenticator, outcome: ok ? 'ok' : 'error' }, seconds)
      }
    },
    follow (source) { current = source },
    reloaded (ok) { reloads.inc({ result: ok ? 'ok' : 'failed' }) },
    request (request, reply) {
      const state = request.gatehouse
      const route = request.routeOptions.config.route
      // The route's pattern, or the endpoint's own path (/oauth/token); empty for a 404.
      const label = route?.match ?? request.routeOptions.url ?? ''
      const elapsedMs = reply.elapsedTime
      const cls = (reply.statusCode / 100) | 0
      const series = requestSeries.get(label, request.method, cls)
      series.inc()
      series.duration.observe(elapsedMs / 1000)
      overheadSeries.get(label, '', 0).observe((state.forwardedMs >= 0 ? state.forwardedMs : elapsedMs) / 1000)
      if (route !== undefined && state.upstreamMs >= 0) {
        upstreamSeries.get(route.upstream, '', state.upstreamFailed ? 0 : cls).observe(state.upstreamMs / 1000)
      }
      if (state.error?.code === 'rate_limited') rateLimitedSeries.get(label, '', 0).inc()
    }
  }
}

/** Records every answered request of the app it is registered in (one per config) into the process's metrics. */
export default fp<{ metrics: Metrics }>(async function gatehouseMetrics (app, { metrics }) {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(request, reply)
    done()
  })
}, { fastify: '5.x', name: 'gatehouse-metrics', dependencies: ['gatehouse-access-log'] })
