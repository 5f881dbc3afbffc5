import type { Cache } from './cache.js'

/** Every kind of cache entry a bearer token can have: it may have been checked as either. */
const TOKEN_KINDS = ['introspection', 'jwt'] as const

/**
 * Forgets what the gateway learned about a token, in Redis and in every instance's local
 * tier: the next request with it goes back to the authorization server. Rejects when the
 * deletion could not reach the other instances.
 */
export async function purgeToken (cache: Cache, token: string): Promise<void> {
  for (const kind of TOKEN_KINDS) await cache.delete(kind, token)
}
