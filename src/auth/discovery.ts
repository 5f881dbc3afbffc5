import * as oauth from 'oauth4webapi'
import type { Clock } from '../clock.js'
import type { Logger } from '../logger.js'
import { traced, type Tracer } from '../telemetry/tracing.js'
import { boundedFetch, requestOptions } from './outbound.js'

/** A metadata document older than this is fetched again in the background; the one in hand keeps serving. */
const MAX_AGE_MS = 60 * 60_000
/** After a failed fetch with no document in hand, requests are refused this long before one tries again. */
const FAILURE_RETRY_MS = 1000

/** The fields of an RFC 8414 / OpenID Connect Discovery document the gateway reads. */
export type ServerMetadata = Readonly<Record<string, unknown>> & { readonly issuer: string }

/** The well-known documents tried for an issuer, in order: OpenID Connect, then RFC 8414. */
const ALGORITHMS = ['oidc', 'oauth2'] as const
/** A metadata document is a few KiB; anything much bigger is not one. */
const fetchBounded = boundedFetch(256 * 1024)

export interface DiscoveryOptions {
  /** The issuer as configured: the document must name exactly this one. */
  issuer: string
  timeoutMs: number
  authenticator: string
  logger: Logger
  /** How old the document in hand may grow before it is fetched again in the background (default 1h). */
  maxAgeMs?: number | undefined
  /** What the document's age and the retry pause are measured with. */
  clock: Clock
  /** The gateway's tracer: each fetch in a span of its own; undefined when not tracing. */
  tracer?: Tracer | undefined
}

export interface Discovery {
  /**
   * The URL the issuer's metadata gives for `field` (`jwks_uri`, `introspection_endpoint`).
   * Throws while no document could be had, or when it names no such endpoint: the caller
   * refuses the request (503), never lets it pass.
   */
  endpoint (field: string): Promise<string>
  /** The whole document in hand, or a throw while none could be had. */
  metadata (): Promise<ServerMetadata>
  close (): void
}

/** An http(s) URL from a metadata document, or a reason to refuse the document. */
function endpointOf (metadata: ServerMetadata, field: string): string {
  const value = metadata[field]
  if (typeof value !== 'string' || value === '') throw new Error(`the issuer's metadata has no ${field}`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`the issuer's ${field} is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`the issuer's ${field} is not an http(s) URL`)
  return value
}

/**
 * An issuer's endpoints found from its metadata (`{issuer}/.well-known/openid-configuration`,
 * else RFC 8414's `/.well-known/oauth-authorization-server{path}`), fetched once, kept, and
 * refreshed in the background when old. A document naming another issuer is refused, as
 * RFC 8414 §3.3 asks: it could point the gateway at keys or an endpoint an attacker holds.
 */
export function discover (options: DiscoveryOptions): Discovery {
  const { issuer, timeoutMs, authenticator, logger } = options
  const maxAgeMs = options.maxAgeMs ?? MAX_AGE_MS
  const { clock } = options
  const issuerUrl = new URL(issuer)
  const closing = new AbortController()
  let metadata: ServerMetadata | undefined
  let fetchedAt = 0
  let failedAt = Number.NEGATIVE_INFINITY
  let failure: Error | undefined
  let pending: Promise<void> | undefined

  async function fetchDocument (): Promise<ServerMetadata> {
    const tried: string[] = []
    for (const algorithm of ALGORITHMS) {
      const res = await oauth.discoveryRequest(issuerUrl, {
        algorithm,
        ...requestOptions(issuerUrl, fetchBounded, AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]))
      })
      if (res.status !== 200) {
        await res.body?.cancel()
        tried.push(`${new URL(res.url).pathname} answered ${res.status}`)
        continue
      }
      let document: ServerMetadata
      try {
        document = await oauth.processDiscoveryResponse(issuerUrl, res) as ServerMetadata
      } catch (err) {
        if (!(err instanceof oauth.OperationProcessingError && err.code === oauth.JSON_ATTRIBUTE_COMPARISON)) throw err
        document = (err.cause as { body: ServerMetadata }).body
      }
      // oauth4webapi compares the issuers as normalised URLs; tokens are matched on the exact text.
      if (document.issuer !== issuer) throw new Error(`the metadata names issuer "${String(document.issuer)}", not "${issuer}"`)
      return document
    }
    throw new Error(`no metadata document: ${tried.join(', ')}`)
  }

  function refresh (): Promise<void> {
    if (pending !== undefined) return pending
    const attributes = { 'gatehouse.authenticator': authenticator, 'server.address': issuerUrl.host }
    pending = traced(options.tracer, 'discovery', attributes, fetchDocument).then(document => {
      metadata = document
      fetchedAt = clock()
      failure = undefined
      logger.info({ authenticator, issuer }, 'issuer metadata fetched')
    }, (err: unknown) => {
      failure = err instanceof Error ? err : new Error(String(err))
      failedAt = clock()
      if (!closing.signal.aborted) logger.warn({ authenticator, issuer, error: failure.message }, 'issuer metadata could not be fetched')
    }).finally(() => { pending = undefined })
    return pending
  }

  async function current (): Promise<ServerMetadata> {
    if (metadata !== undefined) {
      if (clock() - fetchedAt > maxAgeMs && pending === undefined && clock() - failedAt >= FAILURE_RETRY_MS) void refresh()
      return metadata
    }
    if (pending !== undefined) await pending
    else if (clock() - failedAt >= FAILURE_RETRY_MS) await refresh()
    if (metadata === undefined) throw new Error(`the issuer's metadata cannot be fetched: ${failure?.message ?? 'not yet fetched'}`, { cause: failure })
    return metadata
  }

  return {
    async endpoint (field) {
      return endpointOf(await current(), field)
    },
    metadata: current,
    close () { closing.abort() }
  }
}
