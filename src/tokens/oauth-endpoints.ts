import { createHash } from 'node:crypto'
import type { Cache } from '../cache/cache.js'
import type { ClientRecord } from '../config/types.js'
import type { Logger } from '../logger.js'
import { clientUnusable } from '../config/client-usable.js'
import { AttemptLimiter, type Limit } from './attempt-limiter.js'
import { decoyHash, parseSecretHash, verifySecret, type SecretHash } from '../secrets/client-secret.js'
import type { SecretCheckSlots } from '../secrets/secret-check-slots.js'
import { TokenRejected, type TokenService } from './token-service.js'

/** What the HTTP layer hands over: headers, the form body when it was one, the caller's address. */
export interface OAuthRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>
  /** The parsed application/x-www-form-urlencoded body; undefined for any other body. */
  form: URLSearchParams | undefined
  ip: string
}

export interface OAuthResponse {
  status: number
  headers: Record<string, string>
  body: Record<string, unknown>
}

/** Failed client authentications allowed per client id from one address in each window. */
export const MAX_FAILED_ATTEMPTS = 10
/** Failed client authentications allowed per address, whatever the client ids, in each window. */
export const MAX_FAILED_ATTEMPTS_PER_ADDRESS = 20
export const FAILED_ATTEMPTS_WINDOW_MS = 60_000
/** A client that authenticated from an address is exempt from that address's limit across ids this long. */
const KNOWN_GOOD_MS = 24 * 60 * 60 * 1000
const KNOWN_GOOD = 'auth-ok'

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** An RFC 6749 §5.2 error; the description is safe to show (never a secret). */
class OAuthError extends Error {
  constructor (readonly error: string, readonly description: string, readonly status = 400, readonly headers: Record<string, string> = {}) {
    super(`${error}: ${description}`)
  }
}

/** Client authentication was not attempted (too many failures, or too many secret checks at once). */
class Throttled extends OAuthError {
  constructor (readonly clientId: string, error: string, description: string, status: number, retryAfter: number) {
    super(error, description, status, { 'retry-after': String(retryAfter) })
  }
}

const invalidClient = (description: string): OAuthError =>
  new OAuthError('invalid_client', description, 401, { 'www-authenticate': 'Basic realm="gatehouse"' })

function toResponse (err: OAuthError): OAuthResponse {
  return { status: err.status, headers: { ...NO_STORE, ...err.headers }, body: { error: err.error, error_description: err.description } }
}

/** RFC 6749 §3.2: a parameter sent twice is an invalid request, not a choice between values. */
function param (form: URLSearchParams, name: string): string | undefined {
  const all = form.getAll(name)
  if (all.length > 1) throw new OAuthError('invalid_request', `${name} is given more than once`)
  return all[0] === '' ? undefined : all[0]
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function formDecode (s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '))
}

function presentedCredentials (req: OAuthRequest, form: URLSearchParams): { id: string, secret: string } {
  const authorization = req.headers.authorization
  const formId = param(form, 'client_id')
  const formSecret = param(form, 'client_secret')
  if (authorization !== undefined) {
    if (Array.isArray(authorization)) throw new OAuthError('invalid_request', 'more than one Authorization header')
    const m = /^Basic[ \t]+([A-Za-z0-9+/]+=*)[ \t]*$/i.exec(authorization)
    if (m === null) throw invalidClient('client authentication must use HTTP Basic or the client_id and client_secret parameters')
    if (formSecret !== undefined) {
      throw new OAuthError('invalid_request', 'client credentials are given both in the Authorization header and in the body; use one')
    }
    const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 1) throw invalidClient('malformed HTTP Basic credentials')
    let id: string
    let secret: string
    try {
      id = formDecode(decoded.slice(0, colon))
      secret = formDecode(decoded.slice(colon + 1))
    } catch {
      throw invalidClient('malformed HTTP Basic credentials')
    }
    if (formId !== undefined && formId !== id) {
      throw new OAuthError('invalid_request', 'client_id differs from the client authenticated by the Authorization header')
    }
    return { id, secret }
  }
  if (formId === undefined) throw invalidClient('client authentication is required')
  if (formSecret === undefined) throw invalidClient('client_secret is required')
  return { id: formId, secret: formSecret }
}

export interface OAuthEndpoints {
  token (req: OAuthRequest): Promise<OAuthResponse>
  revoke (req: OAuthRequest): Promise<OAuthResponse>
}

/**
 * The gateway as an OAuth 2.0 authorization server for its own clients: `client_credentials`
 * (RFC 6749 §4.4) and revocation (RFC 7009). Secret hashes are parsed here, once per config.
 */
export interface OAuthDeps {
  clients: Map<string, ClientRecord>
  tokens: TokenService
  cache: Cache
  logger: Logger
  /** The gateway's secret-check slots: the token endpoint checks client secrets in its own budget. */
  slots: SecretCheckSlots
}

export function createOAuthEndpoints (deps: OAuthDeps): OAuthEndpoints {
  const { clients, tokens, cache, logger, slots } = deps
  const secrets = new Map<string, SecretHash>()
  for (const client of clients.values()) {
    const parsed = client.secretHash === undefined ? undefined : parseSecretHash(client.secretHash)
    if (parsed !== undefined) secrets.set(client.id, parsed)
  }
  // An unknown id costs one scrypt at the clients' cost, so timing does not tell which ids exist.
  const decoy = decoyHash(secrets.values().next().value)
  const limiter = new AttemptLimiter(cache, FAILED_ATTEMPTS_WINDOW_MS, tokens.clock)

  /**
   * The client, once its secret is checked. Failures are counted per client id *and address*
   * (someone elsewhere cannot lock a client out) and per address across ids (unless this id
   * authenticated from there before); each attempt is counted before scrypt runs and taken
   * back when it succeeds. scrypt itself runs under a per-client cap and in the token endpoint's own slots.
   */
  async function authenticateClient (req: OAuthRequest, form: URLSearchParams): Promise<ClientRecord> {
    const { id, secret } = presentedCredentials(req, form)
    // An id that names no client may be a secret pasted in the wrong field: logged as a hash prefix only.
    const logged = clients.has(id) ? id : `unknown:${createHash('sha256').update(id).digest('hex').slice(0, 12)}`
    const here = JSON.stringify([id, req.ip])
    const limits: Limit[] = [{ key: `client-address:${here}`, max: MAX_FAILED_ATTEMPTS }]
    const knownGood = (await cache.get<number>(KNOWN_GOOD, here)) !== undefined
    if (!knownGood) limits.push({ key: `address:${req.ip}`, max: MAX_FAILED_ATTEMPTS_PER_ADDRESS })
    const reservation = await limiter.reserve(limits)
    if (!reservation.ok) {
      logger.warn({ client: logged, ip: req.ip }, 'client authentication refused: too many failed attempts')
      throw new Throttled(id, 'rate_limited', `too many failed client authentications; retry in ${reservation.retryAfter}s`, 429, reservation.retryAfter)
    }
    const slot = slots.take('oauth', id)
    if (!slot.ok) {
      await reservation.release()
      logger.warn({ client: logged, ip: req.ip, busy: slot.busy }, 'client authentication refused: too many secret checks at once')
      throw slot.busy === 'name'
        ? new Throttled(id, 'rate_limited', 'too many concurrent authentications for this client; retry', 429, 1)
        : new Throttled(id, 'temporarily_unavailable', 'too many client authentications at once; retry', 503, 1)
    }
    const client = clients.get(id)
    const stored = secrets.get(id)
    let ok: boolean
    try {
      ok = await verifySecret(secret, stored ?? decoy)
    } finally {
      slot.release()
    }
    if (client === undefined || stored === undefined || !ok) {
      // The reservation stays: it was a failure.
      logger.info({ client: logged, ip: req.ip }, 'client authentication failed')
      throw invalidClient('unknown client or wrong secret')
    }
    await reservation.release()
    if (!knownGood) await cache.set(KNOWN_GOOD, here, 1, KNOWN_GOOD_MS)
    const unusable = clientUnusable(client, tokens.clock())
    if (unusable !== undefined) throw invalidClient(unusable)
    return client
  }

  async function revokeOrRetry (claims: { jti: string, exp: number }, clientId: string): Promise<void> {
    try {
      await tokens.revocations.revoke(claims)
    } catch (err) {
      // RFC 7009 §2.2.1: the client is told to retry rather than believe a revocation only some instances know of.
      logger.warn({ err, client: clientId, jti: claims.jti }, 'client token revoked on this instance only: the shared cache is unavailable')
      throw new OAuthError('temporarily_unavailable', 'the revocation could not reach every instance; retry', 503, { 'retry-after': '5' })
    }
  }

  function formOf (req: OAuthRequest): URLSearchParams {
    if (req.form === undefined) throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded')
    return req.form
  }

  return {
    async token (req) {
      try {
        const form = formOf(req)
        const grant = param(form, 'grant_type')
        if (grant === undefined) throw new OAuthError('invalid_request', 'grant_type is required')
        if (grant !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported')
        const requested = param(form, 'scope')
        const client = await authenticateClient(req, form)
        let scopes = client.scopes
        if (requested !== undefined) {
          scopes = [...new Set(requested.split(' ').filter(s => s !== ''))]
          const extra = scopes.filter(s => !client.scopes.includes(s))
          if (extra.length > 0) throw new OAuthError('invalid_scope', `not granted to this client: ${extra.join(' ')}`)
        }
        const { token, jti } = await tokens.issueClientToken(client.id, scopes)
        logger.info({ client: client.id, jti, scope: scopes.join(' ') }, 'client token issued')
        return {
          status: 200,
          headers: NO_STORE,
          body: { access_token: token, token_type: 'Bearer', expires_in: Math.round(tokens.ttlMs / 1000), scope: scopes.join(' ') }
        }
      } catch (err) {
        if (err instanceof OAuthError) return toResponse(err)
        throw err
      }
    },

    async revoke (req) {
      try {
        const form = formOf(req)
        const token = param(form, 'token')
        let client: ClientRecord
        try {
          client = await authenticateClient(req, form)
        } catch (err) {
          // A client can always revoke: while its authentication is throttled here, a valid token
          // issued to it is revoked on possession alone. The secret is not checked, so this is
          // no way around the limits for someone guessing it.
          if (!(err instanceof Throttled) || token === undefined) throw err
          const claims = await tokens.verifyClientToken(token).catch((e: unknown) => { if (e instanceof TokenRejected) return undefined; throw e })
          if (claims === undefined || claims.client_id !== err.clientId) throw err
          await revokeOrRetry(claims, err.clientId)
          logger.info({ client: claims.client_id, jti: claims.jti }, 'client token revoked on possession: client authentication is throttled')
          return { status: 200, headers: NO_STORE, body: {} }
        }
        if (token === undefined) throw new OAuthError('invalid_request', 'token is required')
        let claims
        try {
          claims = await tokens.verifyClientToken(token)
        } catch (err) {
          // RFC 7009 §2.2: a token that is unknown, invalid or already expired needs no revoking.
          if (err instanceof TokenRejected) return { status: 200, headers: NO_STORE, body: {} }
          throw err
        }
        if (claims.client_id !== client.id) throw new OAuthError('unauthorized_client', 'the token was issued to another client')
        await revokeOrRetry(claims, client.id)
        logger.info({ client: client.id, jti: claims.jti }, 'client token revoked')
        return { status: 200, headers: NO_STORE, body: {} }
      } catch (err) {
        if (err instanceof OAuthError) return toResponse(err)
        throw err
      }
    }
  }
}
