import { LRUCache } from 'lru-cache'
import { entryBytes } from '../cache/cache.js'
import type { IdentityConfig } from '../config/types.js'
import type { Identity } from '../policy/authenticate.js'
import type { TokenService } from '../tokens/token-service.js'

/**
 * The JWT `typ` of identity assertions. It is not the client tokens' `at+jwt`: an assertion
 * an upstream leaks cannot be presented back to the gateway as a client token.
 */
export const ASSERTION_TYPE = 'identity+jwt'

/**
 * An assertion is reused for the first quarter of its ttl: an upstream always receives one
 * with at least three quarters of its life ahead, and a busy identity costs one signature
 * per quarter-ttl instead of one per request.
 */
const REUSE_FRACTION = 0.25
const MAX_CACHED = 10_000
/** And at most this many bytes (keys and tokens, estimated as the local cache tier counts them). */
const MAX_CACHED_BYTES = 8 * 1024 * 1024

export interface AssertionSigner {
  /** Lowercase header name. */
  readonly header: string
  /** A signed assertion of `identity` for `upstream` (its `aud`). */
  assert (identity: Identity, upstream: string): Promise<string>
}

export function createAssertionSigner (cfg: NonNullable<IdentityConfig['assertion']>, tokens: TokenService): AssertionSigner {
  const reuseMs = cfg.ttlMs * REUSE_FRACTION
  const cache = new LRUCache<string, { token: string, until: number }>({
    max: MAX_CACHED,
    maxSize: MAX_CACHED_BYTES,
    sizeCalculation: (value, key) => entryBytes(key, value)
  })
  return {
    header: cfg.header.toLowerCase(),
    async assert (identity, upstream) {
      const { user, client } = identity
      const scope = (user?.scopes ?? client?.scopes ?? []).join(' ')
      // Everything the claims are made of, the user credential's expiry included: equal keys, equal claims.
      const key = JSON.stringify([upstream, user?.id, client?.id, scope, identity.authenticators, user?.exp])
      const now = tokens.clock()
      const hit = cache.get(key)
      if (hit !== undefined && hit.until > now) return hit.token
      // An assertion never outlives the user credential it vouches for.
      const ttlMs = user?.exp === undefined ? cfg.ttlMs : Math.min(cfg.ttlMs, user.exp * 1000 - now)
      const { token } = await tokens.sign({
        ...(user === undefined ? {} : { sub: user.id }),
        ...(client === undefined ? {} : { client_id: client.id }),
        ...(scope === '' ? {} : { scope }),
        auth: identity.authenticators
      }, { audience: upstream, ttlMs, type: ASSERTION_TYPE })
      if (ttlMs === cfg.ttlMs) cache.set(key, { token, until: now + reuseMs })
      return token
    }
  }
}
