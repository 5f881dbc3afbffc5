import { createHash } from 'node:crypto'
import * as oauth from 'oauth4webapi'
import { GatehouseError, type Challenge } from '../errors.js'
import { parseDuration } from '../config/units.js'
import type { AuthenticatorConfig, GatewayConfig } from '../config/types.js'
import type { Logger } from '../logger.js'
import type { Cache } from '../cache/cache.js'
import type { Authenticator, AuthRequest, OriginObserver, UserPrincipal } from './types.js'
import type { Clock } from '../clock.js'
import { NO_CLAIMS, claimsToKeep, keptClaimsTag, pickClaims } from './kept-claims.js'
import { discover } from './discovery.js'
import { traced, type Tracer } from '../telemetry/tracing.js'
import { InFlightLimitReached, inFlightLimit } from './in-flight-limit.js'
import { bearerCredential, TOKEN68 } from './bearer.js'
import { boundedFetch, requestOptions } from './outbound.js'

/** Longer than any real access token: not worth the authorization server's time. */
const MAX_TOKEN_LENGTH = 4096
const RETRY_AFTER_SECONDS = '5'
/** An introspection answer is a small JSON object; anything bigger is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024
/** token_type values that mean "an access token usable as a Bearer" (RFC 7662 §2.2, Keycloak, Okta). */
const BEARER_TYPES = new Set(['bearer', 'access_token'])

/**
 * What the cache keeps for a token: the principal's fields, or why the token is refused.
 * Never the whole answer: only the claims the config reads (see kept-claims.ts), and `k`,
 * the tag of that set of claims, so an entry made under another config is not reused.
 */
export type Introspected =
  | { active: true, id: string, scopes: string[], claims?: Record<string, unknown>, tokenClientId?: string, exp?: number, k: string }
  | { active: false, reason: string }

export interface IntrospectionSettings {
  /** undefined: found from the issuer's metadata (discovery.ts). */
  endpoint: string | undefined
  /** The claims a cached principal keeps (kept-claims.ts); none when absent. */
  keepClaims?: readonly string[]
  clientAuth: 'basic' | 'post'
  userClaim: string
  scopeClaim: string
  timeoutMs: number
  cacheTtlMs: number
  negativeCacheTtlMs: number
  /** Calls open at once, at most; past it a token that needs one is 503. */
  maxInFlight: number
}

export function introspectionSettings (cfg: AuthenticatorConfig<'introspection'>, keepClaims: readonly string[] = []): IntrospectionSettings {
  const s = cfg.spec
  return {
    endpoint: s.endpoint === '' ? undefined : s.endpoint,
    keepClaims,
    clientAuth: s.clientAuth ?? 'basic',
    userClaim: s.userClaim ?? 'sub',
    scopeClaim: s.scopeClaim ?? 'scope',
    timeoutMs: parseDuration(s.timeout ?? '2s'),
    cacheTtlMs: parseDuration(s.cacheTtl ?? '60s'),
    negativeCacheTtlMs: parseDuration(s.negativeCacheTtl ?? '5s'),
    maxInFlight: s.maxInFlight ?? 64
  }
}

/**
 * Which cache entries an introspection authenticator may read: one partition per
 * authorization server (endpoint), per gateway client at it (clientId) and per reading of its
 * answers (userClaim, scopeClaim). Another server's answer about the same token, positive or
 * negative, is never reused. Computed from the config alone, so `gatehouse cache purge` finds
 * the entries too.
 */
export function introspectionPartition (spec: AuthenticatorConfig<'introspection'>['spec']): string {
  const identity = [
    spec.endpoint === undefined || spec.endpoint === '' ? spec.issuer : spec.endpoint,
    spec.clientId,
    spec.userClaim ?? 'sub',
    spec.scopeClaim ?? 'scope'
  ]
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32)
}

/** The credential an introspection result is cached under (the cache hashes it into the key). */
export function introspectionCacheCredential (partition: string, token: string): string {
  return `${partition}.${token}`
}

function scopesOf (value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(s => s !== '')
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string')
  return []
}

/**
 * Turns an RFC 7662 response into what is cached. Throws (→ 503, never cached) only when the
 * answer is not a usable introspection response; a refused token is a cacheable result.
 */
export function interpret (body: unknown, settings: IntrospectionSettings, now: number): { result: Introspected, ttlMs: number } {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || typeof (body as { active?: unknown }).active !== 'boolean') {
    throw new Error('malformed introspection response')
  }
  const claims = body as Record<string, unknown>
  const refuse = (reason: string): { result: Introspected, ttlMs: number } => ({ result: { active: false, reason }, ttlMs: settings.negativeCacheTtlMs })
  if (claims.active !== true) return refuse('token is not active')
  const exp = claims.exp
  if (exp !== undefined && typeof exp !== 'number') throw new Error('malformed introspection response: exp is not a number')
  if (exp !== undefined && exp * 1000 <= now) return refuse('token has expired')
  const type = claims.token_type
  if (typeof type === 'string' && !BEARER_TYPES.has(type.toLowerCase())) return refuse('not a bearer access token')
  const user = claims[settings.userClaim]
  if ((typeof user !== 'string' || user === '') && typeof user !== 'number') return refuse(`token has no ${settings.userClaim}`)
  const ttlMs = exp === undefined ? settings.cacheTtlMs : Math.min(exp * 1000 - now, settings.cacheTtlMs)
  const keep = settings.keepClaims ?? []
  const result: Introspected = { active: true, id: String(user), scopes: scopesOf(claims[settings.scopeClaim]), k: keptClaimsTag(keep) }
  // `active` is the answer's, never a claim of the user's.
  const kept = pickClaims(claims, keep.filter(c => c !== 'active'))
  if (kept !== undefined) result.claims = kept
  if (typeof claims.client_id === 'string') result.tokenClientId = claims.client_id
  if (exp !== undefined) result.exp = exp
  return { result, ttlMs }
}

/**
 * Opaque bearer tokens checked with RFC 7662 and cached (positive until min(exp, cacheTtl),
 * negative for negativeCacheTtl). Any `Authorization: Bearer` is this authenticator's kind:
 * a JWT authenticator placed before it on the route passes on tokens it does not own.
 */
export function createIntrospectionAuthenticator (cfg: AuthenticatorConfig<'introspection'>, deps: {
  cache: Cache
  logger: Logger
  observe?: OriginObserver | undefined
  config: Pick<GatewayConfig, 'identity' | 'routes'>
  clock: Clock
  tracer?: Tracer | undefined
}): Authenticator {
  const { clock } = deps
  const settings = introspectionSettings(cfg, claimsToKeep(deps.config))
  const tag = keptClaimsTag(settings.keepClaims ?? [])
  const partition = introspectionPartition(cfg.spec)
  const fetcher = boundedFetch(MAX_RESPONSE_BYTES)
  const client: oauth.Client = { client_id: cfg.spec.clientId }
  // RFC 6749 §2.3.1: oauth4webapi form-encodes the id and secret before they go into Basic.
  const clientAuth = settings.clientAuth === 'basic' ? oauth.ClientSecretBasic(cfg.spec.clientSecret) : oauth.ClientSecretPost(cfg.spec.clientSecret)
  const challenge: Challenge = { scheme: 'Bearer', params: { realm: 'gatehouse' } }
  const invalid = (detail: string): GatehouseError =>
    new GatehouseError('invalid_token', detail, {
      principal: 'user',
      authenticator: cfg.name,
      challenges: [{ scheme: 'Bearer', params: { realm: 'gatehouse', error: 'invalid_token', error_description: detail } }]
    })
  const log = deps.logger.child({ authenticator: cfg.name })
  const discovery =
    settings.endpoint === undefined
      ? discover({ issuer: cfg.spec.issuer as string, timeoutMs: settings.timeoutMs, authenticator: cfg.name, logger: deps.logger, clock, tracer: deps.tracer })
      : undefined
  // Found at start, so the first token is not kept waiting; a failure here is retried by the first request.
  void discovery?.endpoint('introspection_endpoint').catch(() => {})
  const spanAttributes = { 'gatehouse.authenticator': cfg.name }
  const inFlight = inFlightLimit(settings.maxInFlight)

  /** One call to the endpoint, if the bound allows it, timed: an answer that cannot be used counts as a failed call. */
  async function introspect (token: string): Promise<{ value: Introspected, ttlMs: number }> {
    return await inFlight.run(async () => await timedCall(token))
  }

  async function timedCall (token: string): Promise<{ value: Introspected, ttlMs: number }> {
    const started = performance.now()
    let ok = false
    try {
      const answer = await traced(deps.tracer, 'introspection', spanAttributes, async () => await callEndpoint(token))
      ok = true
      return answer
    } finally {
      deps.observe?.('introspection', cfg.name, (performance.now() - started) / 1000, ok)
    }
  }

  async function callEndpoint (token: string): Promise<{ value: Introspected, ttlMs: number }> {
    let endpoint = settings.endpoint
    if (endpoint === undefined) {
      try {
        endpoint = await (discovery as NonNullable<typeof discovery>).endpoint('introspection_endpoint')
      } catch (err) {
        throw new Error(`introspection endpoint unknown: ${(err as Error).message}`, { cause: err })
      }
    }
    // Only the endpoint is read from it: the answer asked for is plain JSON, not a signed JWT.
    const as: oauth.AuthorizationServer = { issuer: cfg.spec.issuer ?? endpoint, introspection_endpoint: endpoint }
    let res: Response
    try {
      res = await oauth.introspectionRequest(as, client, clientAuth, token, {
        ...requestOptions(endpoint, fetcher, AbortSignal.timeout(settings.timeoutMs)),
        additionalParameters: { token_type_hint: 'access_token' }
      })
    } catch (err) {
      throw new Error(`introspection endpoint unreachable: ${(err as Error).message}`, { cause: err })
    }
    if (res.status !== 200) {
      await res.body?.cancel()
      throw new Error(`introspection endpoint answered ${res.status}`)
    }
    let body: unknown
    try {
      body = await oauth.processIntrospectionResponse(as, client, res)
    } catch (err) {
      throw new Error(`malformed introspection response: ${(err as Error).message}`, { cause: err })
    }
    const { result, ttlMs } = interpret(body, settings, clock())
    return { value: result, ttlMs }
  }

  function bearer (req: AuthRequest): string | undefined {
    const token = bearerCredential(req.headers.authorization)
    if (token === undefined) return undefined
    // A Bearer credential that is malformed is refused, never taken for an absent one.
    if (token.length > MAX_TOKEN_LENGTH) throw invalid('bearer token is too long')
    if (!TOKEN68.test(token)) throw invalid('malformed bearer token')
    return token
  }

  return {
    name: cfg.name,
    type: 'introspection',
    principal: 'user',
    challenge,
    consumes: { headers: ['authorization'], query: [] },
    async authenticate (req): Promise<UserPrincipal | undefined> {
      const token = bearer(req)
      if (token === undefined) return undefined
      let found: Introspected
      try {
        // Positive and negative results, and the single-flight, are all per partition.
        const credential = introspectionCacheCredential(partition, token)
        found = await deps.cache.getOrLoad('introspection', credential, async () => await introspect(token))
        if (found.active && found.k !== tag) {
          // Cached (in Redis) under a config that kept other claims: ask again, and replace it.
          const fresh = await introspect(token)
          await deps.cache.set('introspection', credential, fresh.value, fresh.ttlMs)
          found = fresh.value
        }
      } catch (err) {
        // A full bound is the flood it guards against: one warning per request would be a second flood.
        if (err instanceof InFlightLimitReached) log.debug({ max: err.max }, 'introspection calls at their bound: refusing the request')
        else log.warn({ err: { message: (err as Error).message } }, 'token introspection failed: refusing the request')
        throw new GatehouseError('auth_unavailable', 'the authorization server could not check the token', {
          cause: err,
          principal: 'user',
          authenticator: cfg.name,
          headers: { 'retry-after': RETRY_AFTER_SECONDS }
        })
      }
      if (!found.active) throw invalid(found.reason)
      // The cache never keeps an entry past exp; this guards against a clock that jumped.
      if (found.exp !== undefined && found.exp * 1000 <= clock()) throw invalid('token has expired')
      return {
        kind: 'user',
        id: found.id,
        scopes: found.scopes,
        claims: found.claims ?? NO_CLAIMS,
        tokenClientId: found.tokenClientId,
        authenticator: cfg.name,
        exp: found.exp
      }
    },
    async close () {
      discovery?.close()
    }
  }
}
