import type { Cache } from './cache.js'
import type { GatewayConfig } from '../config/types.js'
import { introspectionCacheCredential, introspectionPartition } from '../auth/introspection.js'

/** Every kind of cache entry a bearer token can have: it may have been checked as either. */
const TOKEN_KINDS = ['introspection', 'jwt'] as const

/**
 * Forgets what the gateway learned about a token, in Redis and in every instance's local
 * tier: the next request with it goes back to the authorization server. Rejects when the
 * deletion could not reach the other instances. With the config, the entries of each
 * introspection authenticator's partition are dropped too.
 */
export async function purgeToken (cache: Cache, token: string, config?: Pick<GatewayConfig, 'authenticators'>): Promise<void> {
  for (const kind of TOKEN_KINDS) await cache.delete(kind, token)
  const partitions = new Set<string>()
  for (const a of config?.authenticators.values() ?? []) {
    if (a.type === 'introspection') partitions.add(introspectionPartition((a as { spec: Parameters<typeof introspectionPartition>[0] }).spec))
  }
  for (const p of partitions) await cache.delete('introspection', introspectionCacheCredential(p, token))
}
