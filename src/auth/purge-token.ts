import type { Cache } from '../cache/cache.js'
import type { AuthenticatorConfig, GatewayConfig } from '../config/types.js'

/** Every kind of cache entry a bearer token can have: it may have been checked as either. */
const TOKEN_KINDS = ['introspection', 'jwt'] as const

/**
 * Forgets what the gateway learned about a token, in Redis and in every instance's local
 * tier: the next request with it goes back to the authorization server. Rejects when the
 * deletion could not reach the other instances. With the config, the entries of each
 * introspection and JWT authenticator's partition are dropped too.
 */
export async function purgeToken (cache: Cache, token: string, config?: Pick<GatewayConfig, 'authenticators' | 'identity' | 'routes'>): Promise<void> {
  const entries: Array<[kind: string, credential: string]> = TOKEN_KINDS.map(kind => [kind, token])
  const authenticators = [...config?.authenticators.values() ?? []]
  // Already loaded by a gateway that declares these authenticators; never loaded for one that does not.
  const introspection = authenticators.some(a => a.type === 'introspection') ? await import('./introspection.js') : undefined
  const jwt = authenticators.some(a => a.type === 'jwt') ? await import('./jwt.js') : undefined
  for (const a of authenticators) {
    if (a.type === 'introspection' && introspection !== undefined) {
      const partition = introspection.introspectionPartition((a as AuthenticatorConfig<'introspection'>).spec)
      entries.push(['introspection', introspection.introspectionCacheCredential(partition, token)])
    }
    if (a.type === 'jwt' && jwt !== undefined) {
      entries.push(['jwt', jwt.jwtCacheCredential(a as AuthenticatorConfig<'jwt'>, config as Pick<GatewayConfig, 'identity' | 'routes'>, token)])
    }
  }
  // Authenticators of one server share a partition: each entry is deleted once.
  const seen = new Set<string>()
  for (const [kind, credential] of entries) {
    if (seen.has(`${kind} ${credential}`)) continue
    seen.add(`${kind} ${credential}`)
    await cache.delete(kind, credential)
  }
}
