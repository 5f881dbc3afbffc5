import { GatehouseError } from '../errors.js'

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT'
])

function chain (err: unknown): unknown[] {
  const out: unknown[] = []
  for (let e = err; e !== undefined && e !== null && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e)
  return out
}

/**
 * A failure talking to an upstream, as the client should see it: a slow upstream is 504,
 * one that cannot be reached or breaks the connection is 502. Never a 500.
 */
export function upstreamError (err: unknown, upstream: string): GatehouseError {
  const errors = chain(err)
  const own = errors.find((e): e is GatehouseError => e instanceof GatehouseError)
  if (own !== undefined) return own
  const codes = errors.map(e => (e as { code?: unknown }).code).filter((c): c is string => typeof c === 'string')
  if (codes.some(c => TIMEOUT_CODES.has(c)) || errors.some(e => (e as { statusCode?: unknown }).statusCode === 504)) {
    return new GatehouseError('upstream_timeout', `upstream ${upstream} did not answer in time`, { cause: err })
  }
  return new GatehouseError('upstream_unavailable', `upstream ${upstream} could not be reached`, { cause: err })
}
