import { GrowingLRU } from '../cache/growing-lru.js'
import { GatehouseError, type Challenge } from '../errors.js'
import type { AuthenticatorConfig } from '../config/types.js'
import { parseExpiry } from '../config/units.js'
import type { Logger } from '../logger.js'
import { lruClock, type Clock } from '../clock.js'
import { TokenStoreUnavailable, hashUserToken, userTokenId, userTokenKey, type UserTokenRecord, type UserTokenStore } from '../tokens/user-token-store.js'
import type { AuthRequest, Authenticator, UserPrincipal } from './types.js'

/** A token's last use is written at most this often, per token and instance: never a write per request. */
export const LAST_USED_EVERY_MS = 60_000
/** Tokens whose last write this instance remembers; past it one may be written again within the minute. */
const MAX_RECENT = 100_000
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/

/** The tokens a config lists, by hash: for small setups without Redis. */
function listedTokens (spec: AuthenticatorConfig<'userToken'>['spec']): Map<string, UserTokenRecord> {
  const out = new Map<string, UserTokenRecord>()
  for (const t of spec.tokens ?? []) {
    const hash = t.hash.slice('sha256:'.length)
    out.set(hash, {
      id: userTokenId(hash),
      user: t.user,
      scopes: t.scopes ?? [],
      client: t.client ?? null,
      created: 0,
      expires: t.expires === undefined ? null : parseExpiry(t.expires)
    })
  }
  return out
}

/**
 * User API tokens, as Django REST Framework's TokenAuthentication reads them:
 * `Authorization: Token <key>` (or a header of their own). A token is found by its sha256,
 * among those the config lists, then in the Redis store through the local tier: a warm
 * token costs a hash and a map lookup, no Redis round trip.
 */
export function createUserTokenAuthenticator (
  cfg: AuthenticatorConfig<'userToken'>,
  deps: { store: UserTokenStore | undefined, logger: Logger, clock: Clock }
): Authenticator {
  const { store, logger } = deps
  const { clock } = deps
  const headerName = cfg.spec.header ?? 'Authorization'
  const header = headerName.toLowerCase()
  const scheme = cfg.spec.scheme ?? 'Token'
  // Only Authorization carries a scheme before the token; a header of its own carries the token alone.
  const schemeName = header === 'authorization' ? scheme.toLowerCase() : undefined
  const listed = listedTokens(cfg.spec)
  const recent = new GrowingLRU<string, true>(MAX_RECENT, { ttl: LAST_USED_EVERY_MS, ttlAutopurge: false, ...lruClock(clock) })
  const challenge: Challenge = { scheme: 'Token', params: schemeName === undefined ? { realm: 'gatehouse', header: headerName } : { realm: 'gatehouse' } }
  const fail = (detail: string): GatehouseError =>
    new GatehouseError('invalid_token', detail, {
      principal: 'user',
      authenticator: cfg.name,
      challenges: [{ scheme: 'Token', params: { ...challenge.params, error: 'invalid_token', error_description: detail } }]
    })

  function presented (req: AuthRequest): string | undefined {
    const value = req.headers[header]
    if (value === undefined || value === '') return undefined
    if (Array.isArray(value)) throw fail('more than one token presented')
    let token = value
    if (schemeName !== undefined) {
      const gap = value.search(/[ \t]/)
      // Another scheme (Bearer, Basic) is another authenticator's credential.
      if ((gap < 0 ? value : value.slice(0, gap)).toLowerCase() !== schemeName) return undefined
      token = gap < 0 ? '' : value.slice(gap).trim()
      if (token === '') throw fail('invalid token header: no token given')
    }
    if (!TOKEN68.test(token)) throw fail('invalid token header: the token has characters a token never has')
    return token
  }

  async function stored (hash: string): Promise<UserTokenRecord | undefined> {
    if (store === undefined) return undefined
    try {
      return await store.find(hash)
    } catch (err) {
      if (!(err instanceof TokenStoreUnavailable)) throw err
      throw new GatehouseError('auth_unavailable', 'user tokens cannot be checked right now', {
        cause: err,
        authenticator: cfg.name,
        headers: { 'retry-after': '1' }
      })
    }
  }

  function used (record: UserTokenRecord): void {
    if (store === undefined || recent.has(record.id)) return
    recent.set(record.id, true)
    store.touch(record.id, clock()).catch((err: unknown) => {
      logger.debug({ err: { message: (err as Error).message }, tokenId: record.id }, 'user token last-used time not written')
    })
  }

  return {
    name: cfg.name,
    type: 'userToken',
    principal: 'user',
    challenge,
    consumes: { headers: [header], query: [] },
    async authenticate (req): Promise<UserPrincipal | undefined> {
      const token = presented(req)
      if (token === undefined) return undefined
      const hash = hashUserToken(token)
      const own = listed.get(hash)
      const record = own ?? (await stored(hash))
      if (record === undefined) throw fail('unknown or revoked token')
      if (record.expires !== null && clock() >= record.expires) throw fail('token has expired')
      if (own === undefined) used(record)
      return {
        kind: 'user',
        id: record.user,
        scopes: record.scopes,
        claims: {},
        tokenClientId: undefined,
        boundClient: record.client ?? undefined,
        authenticator: cfg.name,
        exp: record.expires === null ? undefined : Math.floor(record.expires / 1000),
        revocationKey: userTokenKey(hash)
      }
    }
  }
}
