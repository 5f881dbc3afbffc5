import type { Cluster, Redis, RedisOptions } from 'ioredis'
import type { RedisConfig } from '../config/types.js'
import { importCommonJs } from '../import-commonjs.js'

export type RedisClient = Redis | Cluster

/**
 * Redis is a cache here, never something a request waits on: commands fail fast while it
 * is down (no offline queue, short timeout) and the caller falls back to the local tier.
 */
const FAIL_FAST: RedisOptions = {
  enableAutoPipelining: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  // Long enough for a Redis (or a host) under load to answer; a Redis that is down fails at once
  // (no offline queue) and a timeout is still a failure: it never lets a credential through.
  commandTimeout: 1000,
  connectTimeout: 2000,
  retryStrategy: (times: number) => Math.min(100 * times, 2000)
}

/**
 * One client from the `cache.redis` forms of docs/cache.md ("Redis forms"): URL, Cluster or Sentinel.
 * ioredis is loaded here, on the first client, so a config without `cache.redis` never pays for it.
 */
export async function createRedisClient (cfg: RedisConfig, options: RedisOptions = {}): Promise<RedisClient> {
  const { Cluster, Redis } = await importCommonJs(async () => await import('ioredis'))
  const opts = { ...FAIL_FAST, ...options }
  if ('url' in cfg) return new Redis(cfg.url, opts)
  if ('cluster' in cfg) {
    return new Cluster(
      cfg.cluster.map(n => (typeof n === 'string' ? n : { host: n.host, port: n.port })),
      { redisOptions: opts, enableOfflineQueue: false, enableAutoPipelining: true }
    )
  }
  return new Redis({ ...opts, sentinels: cfg.sentinels, name: cfg.name, password: cfg.password })
}
