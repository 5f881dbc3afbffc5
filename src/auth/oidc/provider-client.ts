import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'
import type { Clock } from '../../clock.js'
import { GatehouseError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { remoteJwksSource } from '../jwks-remote.js'
import type { KeySource } from '../jwt-keys.js'
import type { ClientAuth } from './client-auth.js'
import type { MetadataSource, ProviderMetadata } from './provider-metadata.js'

const MAX_RESPONSE_BYTES = 256 * 1024
/** Claims that describe the ID token itself, not the user: not kept in the session. */
const TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash']

export interface Tokens {
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
}

/** The provider's answer was a refusal (`invalid_grant`…): the user must log in again. */
export class ProviderRefusal extends Error {}

/**
 * The gateway's side of the provider's endpoints: code and refresh grants at the token
 * endpoint, the ID token checked with jose, the userinfo endpoint. A provider that cannot
 * be reached, or answers with a server error, is a 503 (fail closed); a refusal is a
 * ProviderRefusal for the caller to turn into a new login.
 */
export function providerClient (options: ProviderClientOptions): { tokens (form: Record<string, string>): Promise<Tokens>, verifyIdToken (idToken: string, nonce: string | undefined): Promise<JWTPayload>, userinfo (accessToken: string, sub: string): Promise<Record<string, unknown>>, meta (): Promise<ProviderMetadata>, close (): void } {
  const { name, clientId, auth, metadata, clockToleranceS, clock, timeoutMs, logger } = options
  let keys: { uri: string, source: KeySource } | undefined

  const unavailable = (what: string, cause?: unknown): GatehouseError =>
    new GatehouseError('auth_unavailable', `the OpenID provider's ${what} cannot be reached`, { cause, headers: { 'retry-after': '5' }, principal: 'user', authenticator: name })

  async function call (url: string, init: { method: string, headers: Record<string, string>, body?: string }, what: string): Promise<{ status: number, json: Record<string, unknown> }> {
    let res: Response
    let text: string
    try {
      res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) })
      text = await res.text()
    } catch (err) {
      throw unavailable(what, err)
    }
    if (res.status >= 500) throw unavailable(what, new Error(`HTTP ${res.status}`))
    let json: unknown
    try {
      json = text.length > MAX_RESPONSE_BYTES ? undefined : JSON.parse(text)
    } catch {}
    if (json === null || typeof json !== 'object') throw unavailable(what, new Error(`HTTP ${res.status}: not a JSON object`))
    return { status: res.status, json: json as Record<string, unknown> }
  }

  function keySource (meta: ProviderMetadata): KeySource {
    if (keys?.uri !== meta.jwksUri) {
      keys?.source.close()
      keys = { uri: meta.jwksUri, source: remoteJwksSource({ url: meta.jwksUri, cooldownMs: 30_000, timeoutMs, authenticator: name, logger, clock }) }
    }
    return keys.source
  }

  return {
    meta: async () => await metadata.get(),

    async tokens (form) {
      const meta = await metadata.get()
      const client = await auth(meta.tokenEndpoint)
      const { status, json } = await call(meta.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...client.headers },
        body: new URLSearchParams({ ...form, ...client.form }).toString()
      }, 'token endpoint')
      if (status !== 200) {
        logger.info({ authenticator: name, status, error: typeof json.error === 'string' ? json.error : undefined }, 'OpenID provider refused a token request')
        throw new ProviderRefusal(typeof json.error === 'string' ? json.error : `HTTP ${status}`)
      }
      if (typeof json.access_token !== 'string' || (typeof json.token_type === 'string' && json.token_type.toLowerCase() !== 'bearer')) throw new ProviderRefusal('the token response has no bearer access token')
      return {
        idToken: typeof json.id_token === 'string' ? json.id_token : undefined,
        accessToken: json.access_token,
        refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
        expiresAt: typeof json.expires_in === 'number' && json.expires_in > 0 ? clock() + json.expires_in * 1000 : undefined,
        scopes: typeof json.scope === 'string' ? json.scope.split(' ').filter(s => s !== '') : undefined
      }
    },

    async verifyIdToken (idToken, nonce) {
      const meta = await metadata.get()
      const source = keySource(meta)
      let payload: JWTPayload
      try {
        ({ payload } = await jwtVerify(idToken, async (header, token) => await source.resolve(header, token), {
          issuer: meta.issuer,
          audience: clientId,
          clockTolerance: clockToleranceS,
          currentDate: new Date(clock()),
          requiredClaims: ['sub', 'exp', 'iat']
        }))
      } catch (err) {
        if (err instanceof GatehouseError) throw err
        throw new ProviderRefusal(`the ID token failed verification: ${err instanceof joseErrors.JOSEError ? err.code : 'malformed'}`)
      }
      // OpenID Connect Core §3.1.3.7: with several audiences, azp names this client.
      if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== clientId) throw new ProviderRefusal('the ID token was issued to another client (azp)')
      if (nonce !== undefined && payload.nonce !== nonce) throw new ProviderRefusal('the ID token\'s nonce is not the one this login sent')
      const out: Record<string, unknown> = { ...payload }
      for (const c of TOKEN_CLAIMS) delete out[c]
      return out
    },

    async userinfo (accessToken, sub) {
      const meta = await metadata.get()
      if (meta.userinfoEndpoint === undefined) return {}
      const { status, json } = await call(meta.userinfoEndpoint, { method: 'GET', headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } }, 'userinfo endpoint')
      if (status !== 200) throw new ProviderRefusal(`userinfo answered HTTP ${status}`)
      // OpenID Connect Core §5.3.2: the answer is about the ID token's user, or it is ignored.
      if (json.sub !== sub) throw new ProviderRefusal('userinfo names another user than the ID token')
      return json
    },

    close () {
      keys?.source.close()
      metadata.close()
    }
  }
}

export type ProviderClient = ReturnType<typeof providerClient>
