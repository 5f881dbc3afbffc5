import type { Cache } from '../cache/cache.js'

/** Cache kinds: the denylist of revoked `jti`s, and verified client tokens (by `jti`). */
export const REVOKED = 'revoked'
export const VERIFIED_CLIENT_TOKEN = 'client-token'

/**
 * Denylists the token's `jti` until it would have expired anyway, and drops any cached
 * verification of it; through the shared cache every instance refuses it from then on.
 */
export async function revoke (cache: Cache, claims: { jti: string, exp: number }): Promise<void> {
  const ttlMs = claims.exp * 1000 - Date.now()
  if (ttlMs <= 0) return
  await cache.set(REVOKED, claims.jti, 1, ttlMs)
  await cache.delete(VERIFIED_CLIENT_TOKEN, claims.jti)
}

export async function isRevoked (cache: Cache, jti: string): Promise<boolean> {
  return (await cache.get<number>(REVOKED, jti)) !== undefined
}
