import { createHash } from 'node:crypto'
import { decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose'
import { GatehouseError } from '../errors.js'
import type { AuthenticatorConfig, GatewayConfig } from '../config/types.js'
import type { AuthDeps, AuthRequest, Authenticator, UserPrincipal } from './types.js'
import { jwtOptions } from '../config/jwt-options.js'
import { publicKeySource, secretKeySource, type KeySource } from './jwt-keys.js'
import type { RemoteJwksOptions } from './jwks-remote.js'
import type { Discovery } from './discovery.js'
import { NO_CLAIMS, claimsToKeep, pickClaims } from './kept-claims.js'
import { bearerCredential } from './bearer.js'

/**
 * What a verified token taught us, and all the request path needs of it (never the whole
 * payload: see kept-claims.ts); JSON, so a shared cache tier can hold it.
 */
interface Verified {
  id: string
  scopes: string[]
  /** Only the claims the config maps to headers or requires; absent when none of them is present. */
  claims?: Record<string, unknown> | undefined
  tokenClientId?: string | undefined
  exp: number
  kid?: string | undefined
  /** For a kid-less token: the key set it was verified against. */
  set?: string | undefined
}

/** A verification outlives neither its token nor, in a shared tier, this long. */
const MAX_CACHE_MS = 10 * 60_000
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

function reasonOf (err: unknown): string | undefined {
  if (err instanceof errors.JWTExpired) return err.claim === 'exp' ? 'token expired' : `invalid ${err.claim} claim`
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `token has no ${err.claim} claim`
    return ({ nbf: 'token not yet valid', aud: 'wrong audience', iss: 'wrong issuer' } as Record<string, string>)[err.claim] ?? `invalid ${err.claim} claim`
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed'
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature'
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown signing key'
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed token'
  if (err instanceof errors.JOSEError) return 'unsupported token'
  return undefined
}

/**
 * Whether the token says it is a refresh token: its `typ` header (`refresh`, `rt+jwt`,
 * `application/refresh+jwt`…), its `token_type` claim (simplejwt: `refresh`) or its `typ`
 * claim (Keycloak: `Refresh`). A refresh token is never a credential for an API.
 */
export function saysRefresh (headerTyp: unknown, payload: JWTPayload): boolean {
  return [headerTyp, payload.token_type, payload.typ].some(v => typeof v === 'string' && /refresh|^rt\+jwt$/i.test(v.replace(/^application\//i, '')))
}

function stringsOf (value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(' ').filter(s => s !== '')
  if (Array.isArray(value) && value.every(v => typeof v === 'string')) return value as string[]
  return undefined
}

/**
 * Verifications are cached per authenticator and per config: another audience or key must
 * not reuse them, nor a config that reads claims this one did not keep.
 */
function jwtPartition (cfg: AuthenticatorConfig<'jwt'>, keep: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([cfg.name, cfg.spec, keep])).digest('hex').slice(0, 32)
}

const cacheKey = (partition: string, token: string): string => `${partition}.${token}`

/** The cache credential of `token` under the config's jwt authenticator `cfg`: what a purge deletes. */
export function jwtCacheCredential (cfg: AuthenticatorConfig<'jwt'>, config: Pick<GatewayConfig, 'identity' | 'routes'>, token: string): string {
  return cacheKey(jwtPartition(cfg, claimsToKeep(config)), token)
}

/**
 * Users' JWTs from an identity provider. Keys are imported (or fetched) once; a verified
 * token is cached by its hash until it expires, so a repeated token costs a lookup. A token
 * whose `iss` is another issuer's is not this authenticator's kind; any other problem with a
 * token shaped like a JWT is a 401 with an RFC 6750 challenge.
 */
export async function createJwtAuthenticator (cfg: AuthenticatorConfig<'jwt'>, deps: AuthDeps): Promise<Authenticator> {
  const o = jwtOptions(cfg.spec)
  const { clock } = deps
  const { jwksUri, publicKey, secret } = cfg.spec
  const origin = { timeoutMs: o.timeoutMs, authenticator: cfg.name, logger: deps.logger, clock, tracer: deps.tracer }
  const given = (v: string | undefined): v is string => v !== undefined && v !== ''
  let discovery: Discovery | undefined
  async function keySource (): Promise<KeySource> {
    if (!given(jwksUri)) {
      if (given(publicKey)) {
        return await publicKeySource(publicKey, o.algorithms).catch((err: unknown) => {
          throw new Error(`authenticator "${cfg.name}": ${(err as Error).message}`, { cause: err })
        })
      }
      if (given(secret)) return await secretKeySource(secret, o.algorithms)
    }
    // Only keys fetched from the provider load the outbound HTTP modules (and oauth4webapi).
    const { remoteJwksSource } = await import('./jwks-remote.js')
    let url: RemoteJwksOptions['url']
    if (given(jwksUri)) {
      url = jwksUri
    } else {
      const { discover } = await import('./discovery.js')
      url = async () => await (discovery ??= discover({ issuer: o.issuer, ...origin })).endpoint('jwks_uri')
    }
    return remoteJwksSource({ url, cooldownMs: o.cooldownMs, observe: deps.observe, ...origin })
  }
  const keys = await keySource()
  const verifyOptions: JWTVerifyOptions = {
    issuer: o.issuer,
    algorithms: o.algorithms,
    clockTolerance: o.clockToleranceS,
    requiredClaims: ['exp'],
    ...(o.audience === undefined ? {} : { audience: o.audience })
  }
  const keep = claimsToKeep(deps.config)
  const partition = jwtPartition(cfg, keep)
  const challenge = { scheme: 'Bearer', params: { realm: 'gatehouse' } }
  const invalid = (reason: string, cause?: unknown): GatehouseError => new GatehouseError('invalid_token', reason, {
    cause,
    principal: 'user',
    authenticator: cfg.name,
    challenges: [{ scheme: 'Bearer', params: { realm: 'gatehouse', error: 'invalid_token', error_description: reason } }]
  })

  async function verifySignature (token: string): Promise<{ payload: JWTPayload, kid: string | undefined, typ: unknown }> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keys.resolve, { ...verifyOptions, currentDate: new Date(clock()) })
      return { payload, kid: protectedHeader.kid, typ: protectedHeader.typ }
    } catch (err) {
      // A kid-less token against a set with several fitting keys: each is tried (jose leaves this to the caller).
      if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err
      for await (const key of err) {
        try {
          const { payload, protectedHeader } = await jwtVerify(token, key, { ...verifyOptions, currentDate: new Date(clock()) })
          return { payload, kid: protectedHeader.kid, typ: protectedHeader.typ }
        } catch (inner) {
          if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner
        }
      }
      throw new errors.JWSSignatureVerificationFailed()
    }
  }

  async function verify (token: string): Promise<Verified> {
    const set = keys.set()
    let verified
    try {
      verified = await verifySignature(token)
    } catch (err) {
      const reason = reasonOf(err)
      if (reason === undefined) throw err
      throw invalid(reason, err)
    }
    const { payload, kid, typ } = verified
    if (saysRefresh(typ, payload)) throw invalid('refresh tokens are not accepted')
    // jose checks iat only against a maximum age: a token minted ahead of the clock is refused here.
    if (typeof payload.iat === 'number' && payload.iat > clock() / 1000 + o.clockToleranceS) throw invalid('token issued in the future')
    for (const [claim, expected] of o.requiredClaims) {
      if (payload[claim] === undefined) throw invalid(`token has no ${claim} claim`)
      if (payload[claim] !== expected) throw invalid(`${claim} must be ${String(expected)}`)
    }
    const user = payload[o.userClaim]
    if (!(typeof user === 'string' && user !== '') && typeof user !== 'number') throw invalid(`token has no ${o.userClaim} claim`)
    let scopes: string[] = []
    const scopeClaim = o.scopeClaims.find(c => payload[c] !== undefined)
    if (scopeClaim !== undefined) {
      const parsed = stringsOf(payload[scopeClaim])
      if (parsed === undefined) throw invalid(`${scopeClaim} claim must be a string or a list of strings`)
      scopes = parsed
    }
    const clientId = typeof payload.azp === 'string' ? payload.azp : typeof payload.client_id === 'string' ? payload.client_id : undefined
    const out: Verified = { id: String(user), scopes, exp: payload.exp as number }
    const claims = pickClaims(payload, keep)
    if (claims !== undefined) out.claims = claims
    if (clientId !== undefined) out.tokenClientId = clientId
    if (kid !== undefined) out.kid = kid
    else if (set !== undefined) out.set = set
    return out
  }

  const principal = (v: Verified): UserPrincipal => ({
    kind: 'user', id: v.id, scopes: v.scopes, claims: v.claims ?? NO_CLAIMS, tokenClientId: v.tokenClientId, authenticator: cfg.name, exp: v.exp
  })
  const fresh = (v: Verified): boolean => (v.exp + o.clockToleranceS) * 1000 > clock()

  /** The shared tier, then the signature: `stale` is this process's entry that can no longer be used. */
  async function lookup (token: string, key: string, stale: Verified | undefined): Promise<UserPrincipal | undefined> {
    const hit = stale ?? await deps.cache.get<Verified>('jwt', key)
    if (hit !== undefined) {
      if (fresh(hit) && keys.published(hit.kid, hit.set)) return principal(hit)
      // Stale here (expired, or its key left the set): forgotten in this process and verified
      // again below. Never a cluster-wide delete on the request path: that needs Redis.
      deps.cache.evict('jwt', key)
    }
    let iss: unknown
    try {
      iss = decodeJwt(token).iss
    } catch (err) {
      throw invalid('malformed token', err)
    }
    if (iss !== o.issuer) return undefined
    const load = async (): Promise<{ value: Verified, ttlMs: number }> => {
      const v = await verify(token)
      return { value: v, ttlMs: Math.min((v.exp + o.clockToleranceS) * 1000 - clock(), MAX_CACHE_MS) }
    }
    if (hit === undefined) return principal(await deps.cache.getOrLoad('jwt', key, load))
    // The stale entry may still be in Redis: the new verification overwrites it there too.
    const { value, ttlMs } = await load()
    await deps.cache.set('jwt', key, value, ttlMs)
    return principal(value)
  }

  const fromProtocol = cfg.spec.webSocket?.protocol
  const fromQuery = cfg.spec.webSocket?.query
  /**
   * The token from `Authorization: Bearer`; on a WebSocket upgrade, where a browser cannot set
   * that header, also from a `Sec-WebSocket-Protocol` entry or a query parameter, if configured.
   */
  function bearerToken (req: AuthRequest): string | undefined {
    const token = bearerCredential(req.headers.authorization)
    if (token !== undefined && token !== '') return token
    if (req.upgrade !== true) return undefined
    if (fromProtocol !== undefined) {
      const offered = req.headers['sec-websocket-protocol']
      const entry = typeof offered === 'string' ? offered.split(',').map(p => p.trim()).find(p => p.startsWith(fromProtocol)) : undefined
      if (entry !== undefined) return entry.slice(fromProtocol.length)
    }
    if (fromQuery !== undefined && req.query !== '') return new URLSearchParams(req.query).get(fromQuery) ?? undefined
    return undefined
  }

  return {
    name: cfg.name,
    type: 'jwt',
    principal: 'user',
    challenge,
    consumes: {
      headers: ['authorization'],
      query: fromQuery === undefined ? [] : [fromQuery],
      protocols: fromProtocol === undefined ? [] : [fromProtocol]
    },
    authenticate (req: AuthRequest): Promise<UserPrincipal | undefined> | UserPrincipal | undefined {
      const token = bearerToken(req)
      if (token === undefined || token === '') return undefined
      // Before any parsing: an oversized token costs nothing but this comparison.
      if (token.length > o.maxTokenSize) throw invalid('token too large')
      const key = cacheKey(partition, token)
      // A token this process verified before is answered at once: no promise, no parsing
      // (only a verified, hence well-formed, token is ever cached).
      const local = deps.cache.peek<Verified>('jwt', key)
      if (local !== undefined && fresh(local) && keys.published(local.kid, local.set)) return principal(local)
      if (!JWS_COMPACT.test(token)) {
        // Opaque tokens belong to another authenticator (introspection); a broken JWT is ours to refuse.
        if (token.split('.').length === 3) throw invalid('malformed token')
        return undefined
      }
      return lookup(token, key, local)
    },
    close: async () => {
      keys.close()
      discovery?.close()
    }
  }
}
