import { randomUUID } from 'node:crypto'
import type { JWK, JWTPayload, ProtectedHeaderParameters } from 'jose'
import { jose, joseLoaded } from './jose.js'
import type { GatewayConfig } from '../config/types.js'
import type { Logger } from '../logger.js'
import { loadSigningKeys, type SigningKeySet } from './signing-keys.js'
import type { Revocations } from './revocation.js'
import type { Clock } from '../clock.js'

export interface SignOptions {
  ttlMs: number
  audience?: string | string[]
  /** The JWT `typ` header: tells a client token from an identity assertion signed with the same key. */
  type?: string
}

export interface Signed {
  token: string
  jti: string
  /** Seconds since epoch. */
  exp: number
}

/** Why a token of ours was refused: safe to show the caller. */
export class TokenRejected extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenRejected'
  }
}

/** The JWT `typ` of gateway-issued client access tokens (RFC 9068). */
export const CLIENT_TOKEN_TYPE = 'at+jwt'

export interface ClientTokenClaims extends JWTPayload {
  sub: string
  client_id: string
  scope: string
  jti: string
  exp: number
}

/** Signs and verifies the gateway's own JWTs with the keys of `tokens.signingKeys`. */
export class TokenService {
  readonly issuer: string
  readonly ttlMs: number
  private readonly keys: () => Promise<SigningKeySet>
  private readonly denylist: Revocations | undefined

  /**
   * `keys`, or a function making them on first use (an ephemeral key nothing in the config
   * needs at start). `revocations` may be left out by a service that only signs (a benchmark of assertions, say).
   */
  constructor (keys: SigningKeySet | (() => Promise<SigningKeySet>), issuer: string, ttlMs: number, revocations: Revocations | undefined,
    readonly clock: Clock) {
    let made: Promise<SigningKeySet> | undefined
    this.keys = typeof keys === 'function' ? async () => await (made ??= keys()) : async () => keys
    this.issuer = issuer
    this.ttlMs = ttlMs
    this.denylist = revocations
  }

  /** The denylist of revoked client tokens: `POST /oauth/revoke` writes it, the `clientToken` authenticator reads it. */
  get revocations (): Revocations {
    if (this.denylist === undefined) throw new Error('this token service was built without a revocation list')
    return this.denylist
  }

  /** The public halves of the keys, as published at /.well-known/jwks.json. */
  async jwks (): Promise<{ keys: JWK[] }> {
    return (await this.keys()).jwks
  }

  /** Any claims, with `iss`, `iat`, `exp`, `jti` (unless given) and `aud` set here; signed by the first key. */
  async sign (claims: JWTPayload, options: SignOptions): Promise<Signed> {
    const { signer } = await this.keys()
    const { SignJWT } = await jose()
    const now = Math.floor(this.clock() / 1000)
    const exp = now + Math.max(1, Math.round(options.ttlMs / 1000))
    const jti = claims.jti ?? randomUUID()
    const jwt = new SignJWT({ ...claims, jti })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: options.type ?? 'JWT' })
      .setIssuer(this.issuer)
      .setIssuedAt(now)
      .setExpirationTime(exp)
    if (options.audience !== undefined) jwt.setAudience(options.audience)
    return { token: await jwt.sign(signer.key), jti, exp }
  }

  async issueClientToken (clientId: string, scopes: string[]): Promise<Signed> {
    return await this.sign({ sub: clientId, client_id: clientId, scope: scopes.join(' ') }, { ttlMs: this.ttlMs, type: CLIENT_TOKEN_TYPE })
  }

  /** Whether a token claims to be ours (its `iss`), read without trusting it: others are "not my kind". */
  claimsOurs (token: string): boolean {
    const { decodeJwt } = joseLoaded()
    try {
      return decodeJwt(token).iss === this.issuer
    } catch {
      return false
    }
  }

  /**
   * The `jti`, read without verifying: a cache key only. Verified results are cached by jti,
   * not by the token's text, so one revocation reaches every encoding of the same token.
   */
  peekJti (token: string): string {
    const { decodeJwt } = joseLoaded()
    let jti: unknown
    try {
      jti = decodeJwt(token).jti
    } catch (err) {
      throw new TokenRejected('not a JWT', { cause: err })
    }
    if (typeof jti !== 'string' || jti === '') throw new TokenRejected('token is not a client token of this gateway')
    return jti
  }

  /** A client token of ours: signature by one of our keys, issuer, type, time, and the claims a client token must have. */
  async verifyClientToken (token: string): Promise<ClientTokenClaims> {
    const keys = await this.keys()
    const { decodeProtectedHeader, errors: joseErrors, jwtVerify } = await jose()
    let header: ProtectedHeaderParameters
    try {
      header = decodeProtectedHeader(token)
    } catch (err) {
      throw new TokenRejected('not a JWT', { cause: err })
    }
    const key = typeof header.kid === 'string' ? keys.verifiers.get(header.kid) : undefined
    if (key === undefined) throw new TokenRejected('token is not signed by a key of this gateway')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, key.key, {
        issuer: this.issuer,
        algorithms: [key.alg],
        typ: CLIENT_TOKEN_TYPE,
        requiredClaims: ['sub', 'exp', 'jti'],
        currentDate: new Date(this.clock())
      }))
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new TokenRejected('token has expired', { cause: err })
      if (err instanceof joseErrors.JOSEError) {
        throw new TokenRejected(
          err instanceof joseErrors.JWSSignatureVerificationFailed ? 'token signature is invalid' : 'token is not a client token of this gateway',
          { cause: err }
        )
      }
      throw err
    }
    const { sub, client_id: clientId, scope, jti, exp } = payload
    if (typeof sub !== 'string' || clientId !== sub || typeof scope !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') {
      throw new TokenRejected('token is not a client token of this gateway')
    }
    return payload as ClientTokenClaims
  }
}

/** Whether anything in the config issues or checks the gateway's tokens: an ephemeral key only matters then. */
function usesTokens (config: GatewayConfig): boolean {
  return [...config.clients.values()].some(c => c.secretHash !== undefined) ||
    [...config.authenticators.values()].some(a => a.type === 'clientToken') ||
    config.identity.assertion !== undefined
}

/**
 * `ephemeral` gives the gateway's ephemeral key set, asked for only without `tokens.signingKeys`:
 * at start when the config issues or checks tokens, else by the first request that needs a key
 * (the JWKS endpoint, a revocation), so a gateway that never signs never makes one.
 */
export async function createTokenService (config: GatewayConfig, logger: Logger, revocations: Revocations, clock: Clock,
  ephemeral: () => Promise<SigningKeySet>): Promise<TokenService> {
  const load = async (): Promise<SigningKeySet> => await loadSigningKeys(config.tokens.signingKeys, usesTokens(config) ? logger : undefined, ephemeral)
  const keys = config.tokens.signingKeys !== undefined || usesTokens(config) ? await load() : load
  return new TokenService(keys, config.tokens.issuer, config.tokens.ttlMs, revocations, clock)
}
