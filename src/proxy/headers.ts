import type { IncomingHttpHeaders } from 'node:http'
import type { IdentityPlan } from '../identity/headers.js'

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, never the message: they
 * cross the gateway in neither direction. `Expect` is answered by the gateway itself
 * (100 Continue), `Host` is the upstream's, `Proxy-Authorization` was meant for a proxy.
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']
// The trace context is the gateway's to pass on (continued, or replaced when malformed): appended below.
const REQUEST_DROPPED = new Set([
  ...HOP_BY_HOP,
  'expect',
  'host',
  'proxy-authorization',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  'traceparent',
  'tracestate'
])
const RESPONSE_DROPPED = new Set([...HOP_BY_HOP, 'proxy-authenticate', 'x-request-id'])

const ONLY_PERSISTENCE = /^[ \t]*(?:keep-alive|close)[ \t]*$/i

/** The header names a `Connection` value lists (`Connection: close, X-Foo`): hop-by-hop for this message. */
function connectionListed (value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined
  const text = Array.isArray(value) ? value.join(',') : value
  // What nearly every upstream answer says: nothing listed, and no list made per response.
  if (ONLY_PERSISTENCE.test(text)) return undefined
  const names = new Set<string>()
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase()
    if (name !== '' && name !== 'close' && name !== 'keep-alive') names.add(name)
  }
  return names.size === 0 ? undefined : names
}

export interface ForwardInfo {
  /** The upstream's `host:port`: the Host it is sent. */
  upstreamHost: string
  /** The direct peer's address: what this hop appends to X-Forwarded-For. */
  peerIp: string
  /** Whether the peer is a trusted proxy: only then are its X-Forwarded-For and Forwarded kept. */
  peerTrusted: boolean
  proto: string
  host: string | undefined
  requestId: string
  /** W3C trace context for the upstream: the caller's, the gateway's span, or a new trace. */
  traceparent: string
  tracestate: string | undefined
  /** Cookies that carried a credential the gateway consumed (a session id): taken out of Cookie. */
  dropCookies?: readonly string[] | undefined
}

/** The Cookie header without the named cookies; undefined when none is left. */
export function withoutCookies (header: string, names: readonly string[]): string | undefined {
  const kept = header.split(';').filter(part => {
    const eq = part.indexOf('=')
    return !names.includes((eq === -1 ? part : part.slice(0, eq)).trim())
  }).map(p => p.trim()).filter(p => p !== '')
  return kept.length === 0 ? undefined : kept.join('; ')
}

/**
 * The request headers sent upstream, as undici's flat `[name, value, …]` list: the incoming
 * ones without hop-by-hop headers, without every identity header a client could have sent
 * (on every route, public ones too) and without the credentials the gateway consumed; then
 * the identity the gateway vouches for and the `X-Forwarded-*` set.
 */
export function upstreamRequestHeaders (
  plan: IdentityPlan,
  headers: IncomingHttpHeaders,
  identity: ReadonlyArray<readonly [string, string]>,
  consumed: readonly string[],
  forward: ForwardInfo
): string[] {
  const listed = connectionListed(headers.connection)
  const out: string[] = ['host', forward.upstreamHost]
  let priorFor: string | string[] | undefined
  for (const name in headers) {
    if (REQUEST_DROPPED.has(name) || plan.isStripped(name) || consumed.includes(name) || listed?.has(name) === true) continue
    const value = headers[name]
    if (value === undefined) continue
    if (name === 'x-forwarded-for') {
      priorFor = value
      continue
    }
    if (name === 'forwarded' && !forward.peerTrusted) continue
    if (name === 'cookie' && forward.dropCookies !== undefined && forward.dropCookies.length > 0) {
      const kept = withoutCookies(Array.isArray(value) ? value.join('; ') : value, forward.dropCookies)
      if (kept !== undefined) out.push(name, kept)
      continue
    }
    if (typeof value === 'string') out.push(name, value)
    else for (const v of value) out.push(name, v)
  }
  for (const [name, value] of identity) out.push(name, value)
  out.push('x-forwarded-for', forward.peerTrusted && typeof priorFor === 'string' && priorFor !== '' ? `${priorFor}, ${forward.peerIp}` : forward.peerIp)
  out.push('x-forwarded-proto', forward.proto)
  if (forward.host !== undefined) out.push('x-forwarded-host', forward.host)
  out.push('x-request-id', forward.requestId)
  out.push('traceparent', forward.traceparent)
  if (forward.tracestate !== undefined) out.push('tracestate', forward.tracestate)
  return out
}

/** The gateway's own cookie names, lower-cased: what {@link setsOwnCookie} compares against. */
export function ownCookieNames (names: readonly string[]): ReadonlySet<string> {
  return new Set(names.map(n => n.toLowerCase()))
}

/**
 * Whether a `Set-Cookie` line would set (or clear) one of the gateway's own cookies in the
 * browser: by its name in any case (browsers read the `__Host-` prefix case-insensitively),
 * or as a nameless cookie (`=name=v`), which a browser sends back as `name=v`.
 */
export function setsOwnCookie (line: string, own: ReadonlySet<string>): boolean {
  const semi = line.indexOf(';')
  const pair = semi === -1 ? line : line.slice(0, semi)
  const eq = pair.indexOf('=')
  let name = eq === -1 ? '' : pair.slice(0, eq).trim()
  if (name === '') {
    const value = (eq === -1 ? pair : pair.slice(eq + 1)).trim()
    const inner = value.indexOf('=')
    name = (inner === -1 ? value : value.slice(0, inner)).trim()
  }
  return own.has(name.toLowerCase())
}

/**
 * The upstream's response headers for the client, as a flat `[name, value, …]` list:
 * hop-by-hop ones (and those `Connection` lists) dropped, repeated ones (several
 * `Set-Cookie`) kept apart, `extra` (the request id, rate-limit headers) appended. A
 * `Set-Cookie` naming one of `own` (the gateway's session and login cookies) is dropped: an
 * upstream must not plant or clear the gateway's session (fixation, login CSRF). On a route
 * whose CORS the gateway answers (`ownCors`), the upstream's own `Access-Control-*` headers
 * are dropped: two `Access-Control-Allow-Origin` make the browser refuse the answer.
 */
export function clientResponseHeaders (headers: IncomingHttpHeaders, extra: readonly string[], own: ReadonlySet<string>, ownCors = false): string[] {
  const listed = connectionListed(headers.connection)
  const out: string[] = []
  for (const name in headers) {
    if (RESPONSE_DROPPED.has(name) || listed?.has(name) === true || (ownCors && name.startsWith('access-control-'))) continue
    const value = headers[name]
    if (name === 'set-cookie' && own.size > 0) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) if (!setsOwnCookie(v, own)) out.push(name, v)
      continue
    }
    if (typeof value === 'string') out.push(name, value)
    else if (value !== undefined) for (const v of value) out.push(name, v)
  }
  for (const h of extra) out.push(h)
  return out
}

/**
 * {@link clientResponseHeaders} from the upstream's raw header lines as undici reads them
 * (`[name, value, …]` buffers): no header object made and flattened again. Values are read
 * byte for byte (latin1) and written so, whatever their encoding.
 */
export function clientResponseRawHeaders (raw: readonly Buffer[], extra: readonly string[], own: ReadonlySet<string>, ownCors = false): string[] {
  const out: string[] = []
  let connection: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1').toLowerCase()
    const value = (raw[i + 1] as Buffer).toString('latin1')
    if (name === 'connection') connection = connection === undefined ? value : `${connection},${value}`
    if (RESPONSE_DROPPED.has(name) || (ownCors && name.startsWith('access-control-'))) continue
    if (name === 'set-cookie' && own.size > 0 && setsOwnCookie(value, own)) continue
    out.push(name, value)
  }
  const listed = connectionListed(connection)
  if (listed !== undefined) {
    for (let i = out.length - 2; i >= 0; i -= 2) if (listed.has(out[i] as string)) out.splice(i, 2)
  }
  for (const h of extra) out.push(h)
  return out
}
