import { compactVerify, errors as joseErrors } from 'jose'
import * as oauth from 'oauth4webapi'
import type { Clock } from '../../clock.js'
import { GatehouseError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { Tracer } from '../../telemetry/tracing.js'
import { remoteJwksSource } from '../jwks-remote.js'
import type { KeySource } from '../jwt-keys.js'
import { boundedFetch, requestOptions } from '../outbound.js'
import type { ClientAuth } from './client-auth.js'
import type { MetadataSource, ProviderMetadata } from './provider-metadata.js'

const MAX_RESPONSE_BYTES = 256 * 1024
/** Claims that describe the ID token itself, not the user: not kept in the session. */
const TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash']

export interface Tokens {
  /** The ID token's claims, checked (signature, issuer, audience, azp, times, nonce), less those about the token itself. */
  claims: Record<string, unknown> | undefined
  idToken: string | undefined
  accessToken: string
  refreshToken: string | undefined
  /** ms since epoch; undefined when the provider gave no expires_in. */
  expiresAt: number | undefined
  scopes: string[] | undefined
}

export interface ProviderClientOptions {
  name: string
  clientId: string
  auth: ClientAuth
  metadata: MetadataSource
  clockToleranceS: number
  /** What token expiry and the ID token's exp/iat are measured with. */
  clock: Clock
  timeoutMs: number
  logger: Logger
  /** The gateway's tracer (JWKS fetches in spans); undefined when not tracing. */
  tracer?: Tracer | undefined
}

/** The provider's answer was a refusal (`invalid_grant`…): the user must log in again. */
export class ProviderRefusal extends Error {}

/** The code the provider sent the browser back with, checked (RFC 9207 `iss`, `state`, `error`): what the code exchange takes. */
export type Callback = URLSearchParams

/**
 * The gateway's side of the provider's endpoints, on oauth4webapi: the authorization
 * response's checks, code and refresh grants, the ID token's claims (its signature checked
 * with jose against the provider's JWKS, kept like the jwt authenticator's), userinfo. A
 * provider that cannot be reached, or answers with a server error or a redirect, is a 503
 * (fail closed); a refusal is a ProviderRefusal for the caller to turn into a new login.
 */
export function providerClient (options: ProviderClientOptions): {
  meta (): Promise<ProviderMetadata>
  callback (meta: ProviderMetadata, query: URLSearchParams, state: string): Callback
  exchange (callback: Callback, redirectUri: string, verifier: string, nonce: string): Promise<Tokens>
  refresh (refreshToken: string): Promise<Tokens>
  userinfo (accessToken: string, sub: string): Promise<Record<string, unknown>>
  close (): void
} {
  const { name, clientId, auth, metadata, clockToleranceS, clock, timeoutMs, logger, tracer } = options
  const fetcher = boundedFetch(MAX_RESPONSE_BYTES)
  let keys: { uri: string, source: KeySource } | undefined

  const unavailable = (what: string, cause?: unknown): GatehouseError =>
    new GatehouseError('auth_unavailable', `the OpenID provider's ${what} cannot be reached`, {
      cause,
      headers: { 'retry-after': '5' },
      principal: 'user',
      authenticator: name
    })

  /** oauth4webapi measures time as Date.now() plus the client's skew: the skew makes it the gateway's clock. */
  const client = (): oauth.Client => ({ client_id: clientId, [oauth.clockSkew]: (clock() - Date.now()) / 1000, [oauth.clockTolerance]: clockToleranceS })
  const optionsFor = (url: string | undefined): ReturnType<typeof requestOptions> => requestOptions(url as string, fetcher, AbortSignal.timeout(timeoutMs))

  async function send (what: string, request: () => Promise<Response>): Promise<Response> {
    let res: Response
    try {
      res = await request()
    } catch (err) {
      throw unavailable(what, err)
    }
    if (res.status >= 500 || (res.status >= 300 && res.status < 400)) {
      await res.body?.cancel()
      throw unavailable(what, new Error(`HTTP ${res.status}`))
    }
    return res
  }

  /** What an oauth4webapi check of an answer threw: a refusal, or (an answer that is no answer) the provider unavailable. */
  function failure (what: string, err: unknown): Error {
    if (err instanceof GatehouseError) return err
    if (err instanceof oauth.ResponseBodyError) {
      logger.info({ authenticator: name, status: err.status, error: err.error }, `OpenID provider refused a ${what} request`)
      return new ProviderRefusal(err.error)
    }
    if (err instanceof oauth.OperationProcessingError && err.code === oauth.PARSE_ERROR) return unavailable(what, err)
    if (err instanceof oauth.OperationProcessingError || err instanceof oauth.UnsupportedOperationError || err instanceof oauth.WWWAuthenticateChallengeError) {
      return new ProviderRefusal(err.message)
    }
    return unavailable(what, err)
  }

  function keySource (meta: ProviderMetadata): KeySource {
    if (keys?.uri !== meta.jwksUri) {
      keys?.source.close()
      keys = { uri: meta.jwksUri, source: remoteJwksSource({ url: meta.jwksUri, cooldownMs: 30_000, timeoutMs, authenticator: name, logger, clock, tracer }) }
    }
    return keys.source
  }

  /** The ID token's signature, against the provider's published keys: oauth4webapi checks its claims, not who signed it. */
  async function signed (meta: ProviderMetadata, idToken: string): Promise<void> {
    const source = keySource(meta)
    try {
      await compactVerify(idToken, async (header, token) => await source.resolve(header, token))
    } catch (err) {
      if (err instanceof GatehouseError) throw err
      throw new ProviderRefusal(`the ID token failed verification: ${err instanceof joseErrors.JOSEError ? err.code : 'malformed'}`)
    }
  }

  async function tokens (meta: ProviderMetadata, res: Response, nonce: string | undefined): Promise<Tokens> {
    let json: oauth.TokenEndpointResponse
    try {
      json = nonce === undefined
        ? await oauth.processRefreshTokenResponse(meta.server, client(), res)
        : await oauth.processAuthorizationCodeResponse(meta.server, client(), res, { expectedNonce: nonce, requireIdToken: true })
    } catch (err) {
      throw failure('token', err)
    }
    let claims: Record<string, unknown> | undefined
    if (json.id_token !== undefined) {
      await signed(meta, json.id_token)
      claims = { ...oauth.getValidatedIdTokenClaims(json) }
      for (const c of TOKEN_CLAIMS) delete claims[c]
    }
    return {
      claims,
      idToken: json.id_token,
      accessToken: json.access_token,
      refreshToken: json.refresh_token,
      expiresAt: typeof json.expires_in === 'number' && json.expires_in > 0 ? clock() + json.expires_in * 1000 : undefined,
      scopes: typeof json.scope === 'string' ? json.scope.split(' ').filter(s => s !== '') : undefined
    }
  }

  return {
    meta: async () => await metadata.get(),

    callback (meta, query, state) {
      try {
        return oauth.validateAuthResponse(meta.server, client(), query, state)
      } catch (err) {
        if (err instanceof oauth.AuthorizationResponseError) {
          throw new ProviderRefusal(`the provider refused the login: ${err.error.replace(/[^\x20-\x7e]/g, '').slice(0, 100)}`)
        }
        // RFC 9207: a provider that names itself in the response must be ours (mix-up defence); one that
        // says it always does must. oauth4webapi tells which check failed only in its message.
        if (/"iss"/.test((err as Error).message)) throw new ProviderRefusal('the authorization response comes from another issuer')
        throw new ProviderRefusal(`the authorization response is not one this login expects: ${(err as Error).message}`)
      }
    },

    async exchange (callback, redirectUri, verifier, nonce) {
      const meta = await metadata.get()
      const res = await send(
        'token endpoint',
        async () => await oauth.authorizationCodeGrantRequest(meta.server, client(), auth, callback, redirectUri, verifier, optionsFor(meta.tokenEndpoint))
      )
      return await tokens(meta, res, nonce)
    },

    async refresh (refreshToken) {
      const meta = await metadata.get()
      const res = await send(
        'token endpoint',
        async () => await oauth.refreshTokenGrantRequest(meta.server, client(), auth, refreshToken, optionsFor(meta.tokenEndpoint))
      )
      return await tokens(meta, res, undefined)
    },

    async userinfo (accessToken, sub) {
      const meta = await metadata.get()
      if (meta.userinfoEndpoint === undefined) return {}
      const res = await send(
        'userinfo endpoint',
        async () => await oauth.userInfoRequest(meta.server, client(), accessToken, optionsFor(meta.userinfoEndpoint))
      )
      if (res.status !== 200) {
        await res.body?.cancel()
        throw new ProviderRefusal(`userinfo answered HTTP ${res.status}`)
      }
      try {
        // OpenID Connect Core §5.3.2: the answer is about the ID token's user, or it is ignored.
        return await oauth.processUserInfoResponse(meta.server, client(), sub, res)
      } catch (err) {
        if (err instanceof oauth.OperationProcessingError && err.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
          throw new ProviderRefusal('userinfo names another user than the ID token')
        }
        throw failure('userinfo', err)
      }
    },

    close () {
      keys?.source.close()
      metadata.close()
    }
  }
}

export type ProviderClient = ReturnType<typeof providerClient>
