import type { AuthorizationServer } from 'oauth4webapi'
import type { Clock } from '../../clock.js'
import { GatehouseError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { Tracer } from '../../telemetry/tracing.js'
import { discover, type ServerMetadata } from '../discovery.js'

/** What the login needs from the provider's discovery document (OpenID Connect Discovery 1.0). */
export interface ProviderMetadata {
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
  jwksUri: string
  userinfoEndpoint: string | undefined
  endSessionEndpoint: string | undefined
  /** The whole document, as oauth4webapi reads it (signing algorithms, RFC 9207 `iss` support). */
  server: AuthorizationServer
}

export interface MetadataSource {
  /** The document in hand (refreshed in the background when old), or a 503 when there is none fit for a login. */
  get (): Promise<ProviderMetadata>
  close (): void
}

function endpoint (doc: ServerMetadata, key: string, required: boolean): string | undefined {
  const v = doc[key]
  if (v === undefined && !required) return undefined
  if (typeof v !== 'string' || !/^https?:\/\//.test(v)) throw new Error(`${key} is ${v === undefined ? 'missing' : 'not an http(s) URL'}`)
  return v
}

/** The endpoints a login uses, or a reason the provider cannot serve one. */
function forLogin (doc: ServerMetadata): ProviderMetadata {
  const methods = doc.code_challenge_methods_supported
  if (Array.isArray(methods) && !methods.includes('S256')) throw new Error('the provider does not support PKCE with S256')
  return {
    issuer: doc.issuer,
    authorizationEndpoint: endpoint(doc, 'authorization_endpoint', true) as string,
    tokenEndpoint: endpoint(doc, 'token_endpoint', true) as string,
    jwksUri: endpoint(doc, 'jwks_uri', true) as string,
    userinfoEndpoint: endpoint(doc, 'userinfo_endpoint', false),
    endSessionEndpoint: endpoint(doc, 'end_session_endpoint', false),
    server: doc as AuthorizationServer
  }
}

/**
 * The provider's metadata, found and kept fresh by the same issuer discovery the jwt and
 * introspection authenticators use (its `issuer` must be the configured one exactly), read
 * for the endpoints of a login. Fetched at start so the first login does not wait for it.
 */
export function providerMetadata (options: {
  issuer: string
  refreshMs: number
  timeoutMs: number
  authenticator: string
  logger: Logger
  clock: Clock
  tracer?: Tracer | undefined
}): MetadataSource {
  const { issuer, refreshMs, timeoutMs, authenticator, logger, clock, tracer } = options
  const discovery = discover({ issuer, timeoutMs, authenticator, logger, maxAgeMs: refreshMs, clock, tracer })
  let mapped: { doc: ServerMetadata, meta: ProviderMetadata | Error } | undefined
  const unavailable = (): GatehouseError =>
    new GatehouseError('auth_unavailable', 'the OpenID provider cannot be reached', { headers: { 'retry-after': '1' }, principal: 'user', authenticator })
  void discovery.metadata().catch(() => {})

  return {
    async get () {
      // Discovery logs its own failures, once per attempt.
      const doc = await discovery.metadata().catch(() => {
        throw unavailable()
      })
      if (mapped?.doc !== doc) {
        let meta: ProviderMetadata | Error
        try {
          meta = forLogin(doc)
        } catch (err) {
          meta = err as Error
          logger.warn({ authenticator, issuer, error: meta.message }, "the OpenID provider's metadata cannot serve a login")
        }
        mapped = { doc, meta }
      }
      if (mapped.meta instanceof Error) throw unavailable()
      return mapped.meta
    },
    close () {
      discovery.close()
    }
  }
}
