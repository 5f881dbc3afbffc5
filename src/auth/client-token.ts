import { createHash } from 'node:crypto'
import { GatehouseError, type Challenge } from '../errors.js'
import { cacheKey, type Cache } from '../cache/cache.js'
import type { AuthenticatorConfig, ClientRecord } from '../config/types.js'
import { TokenRejected, type ClientTokenClaims, type TokenService } from '../tokens/token-service.js'
import { VERIFIED_CLIENT_TOKEN } from '../tokens/revocation.js'
import { clientUnusable } from '../config/client-usable.js'
import type { AuthRequest, Authenticator, ClientPrincipal } from './types.js'
import { bearerCredential, TOKEN68 } from './bearer.js'

interface VerifiedEntry { hash: string, claims: ClientTokenClaims }

/**
 * Gateway-issued client tokens, verified locally with the gateway's own keys. What a token
 * proved is cached until it expires; the client's current state (disabled,
 * expired, scopes narrowed since) is checked on every request against the loaded config.
 */
export function createClientTokenAuthenticator (
  cfg: AuthenticatorConfig<'clientToken'>,
  deps: { clients: Map<string, ClientRecord>, tokens: TokenService, cache: Cache }
): Authenticator {
  const { clients, tokens, cache } = deps
  const headerName = cfg.spec.header ?? 'X-Client-Token'
  const header = headerName.toLowerCase()
  const bearer = cfg.spec.bearer ?? false
  const challenge: Challenge = bearer
    ? { scheme: 'Bearer', params: { realm: 'gatehouse' } }
    : { scheme: 'ClientToken', params: { realm: 'gatehouse', header: headerName } }
  const fail = (detail: string, cause?: unknown): GatehouseError =>
    new GatehouseError('invalid_token', detail, {
      cause,
      principal: 'client',
      authenticator: cfg.name,
      challenges: [{ scheme: challenge.scheme, params: { ...challenge.params, error: 'invalid_token', error_description: detail } }]
    })

  function presented (req: AuthRequest): string | undefined {
    const value = req.headers[header]
    if (Array.isArray(value)) throw fail('more than one client token presented')
    if (value !== undefined && value !== '') return value
    if (!bearer) return undefined
    const token = bearerCredential(req.headers.authorization)
    // A bearer token some other issuer signed belongs to the next authenticator.
    return token !== undefined && TOKEN68.test(token) && tokens.claimsOurs(token) ? token : undefined
  }

  /** The token's claims the request path reads, and no others: this is what the cache keeps. */
  async function check (token: string): Promise<ClientTokenClaims> {
    const claims = await tokens.verifyClientToken(token)
    if (await tokens.revocations.isRevoked(claims)) throw new TokenRejected('token has been revoked')
    const { sub, client_id: clientId, scope, jti, exp } = claims
    return { sub, client_id: clientId, scope, jti, exp }
  }

  /**
   * Cached by jti with the hash of the token that proved it: another encoding of the same
   * token (a malleable ECDSA signature, say) is checked in full, never served from the cache.
   */
  async function verified (token: string): Promise<ClientTokenClaims> {
    try {
      const jti = tokens.peekJti(token)
      const hash = createHash('sha256').update(token).digest('hex')
      const entry = await cache.getOrLoad<VerifiedEntry>(VERIFIED_CLIENT_TOKEN, jti, async () => {
        const claims = await check(token)
        return { value: { hash, claims }, ttlMs: claims.exp * 1000 - tokens.clock() }
      })
      if (entry.hash !== hash) return await check(token)
      // A verification cached before a revocation this instance knows of (heard while Redis was away, say) is not reused.
      if (tokens.revocations.knownRevoked(entry.claims.jti)) throw new TokenRejected('token has been revoked')
      return entry.claims
    } catch (err) {
      if (err instanceof TokenRejected) throw fail(err.message, err)
      throw new GatehouseError('auth_unavailable', 'client tokens cannot be checked right now', {
        cause: err,
        authenticator: cfg.name,
        headers: { 'retry-after': '1' }
      })
    }
  }

  return {
    name: cfg.name,
    type: 'clientToken',
    principal: 'client',
    challenge,
    consumes: { headers: bearer ? [header, 'authorization'] : [header], query: [] },
    async authenticate (req): Promise<ClientPrincipal | undefined> {
      const token = presented(req)
      if (token === undefined) return undefined
      const claims = await verified(token)
      const now = tokens.clock()
      if (claims.exp * 1000 <= now) throw fail('token has expired')
      const client = clients.get(claims.sub)
      if (client === undefined) throw fail("the token's client no longer exists")
      const unusable = clientUnusable(client, now)
      if (unusable !== undefined) throw fail(unusable)
      const allowed = new Set(client.scopes)
      const scopes = claims.scope.split(' ').filter(s => s !== '' && allowed.has(s))
      return { kind: 'client', id: client.id, client, scopes, authenticator: cfg.name, revocationKey: cacheKey(VERIFIED_CLIENT_TOKEN, claims.jti) }
    }
  }
}
