import { GatehouseError } from '../../errors.js'
import type { Logger } from '../../logger.js'

/** What the login needs from the provider's discovery document (OpenID Connect Discovery 1.0). */
export interface ProviderMetadata {
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
  jwksUri: string
  userinfoEndpoint: string | undefined
  endSessionEndpoint: string | undefined
}

const MAX_BYTES = 256 * 1024
/** After a failed fetch with nothing in hand, how soon a request may try again. */
const FAILURE_RETRY_MS = 5000

export interface MetadataSource {
  /** The document in hand (refreshed in the background when old), or a 503 when there has never been one. */
  get (): Promise<ProviderMetadata>
  close (): void
}

function endpoint (doc: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = doc[key]
  if (v === undefined && !required) return undefined
  if (typeof v !== 'string' || !/^https?:\/\//.test(v)) throw new Error(`${key} is ${v === undefined ? 'missing' : 'not an http(s) URL'}`)
  return v
}

/**
 * The issuer's `/.well-known/openid-configuration`, fetched once and again every
 * `refreshMs` in the background; the document in hand keeps serving while the provider is
 * away. Its `issuer` must be the configured one exactly (OpenID Connect Discovery §4.3),
 * or an attacker who can answer for the well-known URL could name another.
 */
export function providerMetadata (options: { issuer: string, refreshMs: number, timeoutMs: number, authenticator: string, logger: Logger }): MetadataSource {
  const { issuer, refreshMs, timeoutMs, authenticator, logger } = options
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  const closing = new AbortController()
  let current: ProviderMetadata | undefined
  let fetchedAt = 0
  let failedAt = Number.NEGATIVE_INFINITY
  let pending: Promise<void> | undefined

  async function fetchDocument (): Promise<ProviderMetadata> {
    const res = await fetch(url, { redirect: 'error', headers: { accept: 'application/json' }, signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]) })
    if (res.status !== 200) {
      await res.body?.cancel()
      throw new Error(`HTTP ${res.status}`)
    }
    const text = await res.text()
    if (text.length > MAX_BYTES) throw new Error('the discovery document is too large')
    const doc = JSON.parse(text) as Record<string, unknown>
    if (doc === null || typeof doc !== 'object') throw new Error('the discovery document is not an object')
    if (doc.issuer !== issuer) throw new Error(`the document names issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`)
    const methods = doc.code_challenge_methods_supported
    if (Array.isArray(methods) && !methods.includes('S256')) throw new Error('the provider does not support PKCE with S256')
    return {
      issuer,
      authorizationEndpoint: endpoint(doc, 'authorization_endpoint', true) as string,
      tokenEndpoint: endpoint(doc, 'token_endpoint', true) as string,
      jwksUri: endpoint(doc, 'jwks_uri', true) as string,
      userinfoEndpoint: endpoint(doc, 'userinfo_endpoint', false),
      endSessionEndpoint: endpoint(doc, 'end_session_endpoint', false)
    }
  }

  function refresh (): Promise<void> {
    pending ??= fetchDocument().then(doc => {
      current = doc
      fetchedAt = Date.now()
      logger.info({ authenticator, issuer }, 'OpenID provider metadata fetched')
    }, (err: unknown) => {
      failedAt = Date.now()
      if (!closing.signal.aborted) logger.warn({ authenticator, issuer, error: (err as Error).message }, 'OpenID provider metadata fetch failed')
    }).finally(() => { pending = undefined })
    return pending
  }

  void refresh()

  return {
    async get () {
      if (current === undefined) {
        if (pending !== undefined) await pending
        else if (Date.now() - failedAt >= FAILURE_RETRY_MS) await refresh()
        if (current === undefined) {
          throw new GatehouseError('auth_unavailable', 'the OpenID provider cannot be reached', { headers: { 'retry-after': String(Math.ceil(FAILURE_RETRY_MS / 1000)) }, principal: 'user', authenticator })
        }
      } else if (Date.now() - fetchedAt > refreshMs && pending === undefined && Date.now() - failedAt >= FAILURE_RETRY_MS) {
        void refresh()
      }
      return current
    },
    close () { closing.abort() }
  }
}
