import { createHash } from 'node:crypto'
import { createLocalJWKSet, errors } from 'jose'
import { GatehouseError } from '../errors.js'
import type { Logger } from '../logger.js'
import { isPublicJwk, type KeySource } from './jwt-keys.js'
import type { OriginObserver } from './types.js'
import type { Clock } from '../clock.js'
import { traced, type Tracer } from '../telemetry/tracing.js'
import { boundedFetch } from './outbound.js'

/** Keys older than this are refreshed in the background; the ones in hand keep serving meanwhile. */
const MAX_AGE_MS = 10 * 60_000
/** After a failed fetch, how soon a request may try again (bounded by the cooldown). */
const FAILURE_RETRY_MS = 5000
/** A key set bigger than this is not one worth reading. */
const fetchBounded = boundedFetch(1024 * 1024)

export interface RemoteJwksOptions {
  /** The JWKS URL, or how to find it (the issuer's metadata): asked before each fetch. */
  url: string | (() => Promise<string>)
  cooldownMs: number
  timeoutMs: number
  authenticator: string
  logger: Logger
  observe?: OriginObserver | undefined
  /** What cooldowns and key age are measured with. */
  clock: Clock
  /** The gateway's tracer: each fetch in a span of its own; undefined when not tracing. */
  tracer?: Tracer | undefined
}

/**
 * A JWKS fetched once and kept: refetched when a token names an unknown `kid` (at most once
 * per cooldown, so unknown kids cannot make the gateway hammer the IdP), and in the
 * background when old. A refetch replaces the whole set, so a key the IdP dropped is
 * dropped here too. With no usable key and the IdP unreachable, verification fails closed
 * with 503. jose's createRemoteJWKSet is not used: it blocks every request on a refetch
 * once its cache is old and fails them all if the IdP is down, even with the keys in hand.
 */
export function remoteJwksSource (options: RemoteJwksOptions): KeySource {
  const { url, cooldownMs, timeoutMs, authenticator, logger, observe } = options
  const now = options.clock
  const where = (target: string): string => { const u = new URL(target); return `${u.origin}${u.pathname}` }
  const closing = new AbortController()
  let local: ReturnType<typeof createLocalJWKSet> | undefined
  let kids = new Set<string>()
  /** Names the key set in force: a kid-less verification stands only while it is unchanged. */
  let setId: string | undefined
  let fetchedAt = 0
  let attemptAt = Number.NEGATIVE_INFINITY
  let failure: unknown
  let pending: Promise<void> | undefined

  async function fetchSet (): Promise<void> {
    const target = typeof url === 'string' ? url : await url()
    const res = await fetchBounded(target, {
      redirect: 'error',
      headers: { accept: 'application/jwk-set+json, application/json' },
      signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)])
    })
    if (res.status !== 200) {
      await res.body?.cancel()
      throw new Error(`HTTP ${res.status}`)
    }
    const json = JSON.parse(await res.text()) as { keys?: unknown }
    if (json === null || typeof json !== 'object' || !Array.isArray(json.keys)) throw new Error('the response is not a JWK Set')
    const keys = json.keys.filter(isPublicJwk)
    local = createLocalJWKSet({ keys })
    kids = new Set(keys.flatMap(k => typeof k.kid === 'string' ? [k.kid] : []))
    setId = createHash('sha256').update(JSON.stringify(keys)).digest('hex').slice(0, 16)
    fetchedAt = now()
    logger.info({ authenticator, jwksUri: where(target), keys: keys.length }, 'JWKS fetched')
  }

  function refresh (): Promise<void> {
    if (pending !== undefined) return pending
    attemptAt = now()
    const started = performance.now()
    pending = traced(options.tracer, 'jwks', { 'gatehouse.authenticator': authenticator }, fetchSet).then(() => {
      failure = undefined
      observe?.('jwks', authenticator, (performance.now() - started) / 1000, true)
    }, (err: unknown) => {
      failure = err
      if (!closing.signal.aborted) observe?.('jwks', authenticator, (performance.now() - started) / 1000, false)
      if (!closing.signal.aborted) {
        logger.warn(
          { authenticator, jwksUri: typeof url === 'string' ? where(url) : 'from the issuer metadata', error: (err as Error).message },
          'JWKS fetch failed'
        )
      }
    }).finally(() => { pending = undefined })
    return pending
  }

  const retryDelay = (): number => failure === undefined ? cooldownMs : Math.min(cooldownMs, FAILURE_RETRY_MS)
  const mayRefetch = (): boolean => now() - attemptAt >= retryDelay()
  const unavailable = (): GatehouseError => {
    const wait = Math.max(1, Math.ceil((attemptAt + retryDelay() - now()) / 1000))
    return new GatehouseError('auth_unavailable', 'the identity provider\'s signing keys cannot be fetched', {
      cause: failure, headers: { 'retry-after': String(wait) }, principal: 'user', authenticator
    })
  }

  void refresh()

  return {
    async resolve (header, token) {
      if (local === undefined) {
        if (pending !== undefined) await pending
        else if (mayRefetch()) await refresh()
        if (local === undefined) throw unavailable()
      } else if (now() - fetchedAt > MAX_AGE_MS && pending === undefined && mayRefetch()) {
        void refresh()
      }
      try {
        return await local(header, token)
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err
        if (pending !== undefined) await pending
        else if (mayRefetch()) await refresh()
        else if (failure === undefined) throw err
        if (failure !== undefined) throw unavailable()
        return await local(header, token)
      }
    },
    published: (kid, set) => kid === undefined ? set === setId : kids.has(kid),
    set: () => setId,
    close () { closing.abort() }
  }
}
