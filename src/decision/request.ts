import { http } from '../node-http.js'
import type { PeerCertificate } from '../auth/types.js'

/** Header values as Node's IncomingMessage delivers them: lowercased names, repeated ones joined by Node's rules. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>

/** What the connection says, beside the request: TLS, and the client certificate it verified. */
export interface TlsFacts {
  encrypted: boolean
  /** Whether the client certificate chains to `server.tls.clientCa`. */
  authorized: boolean
  certificate?: PeerCertificate | undefined
}

/**
 * One request as plain data: all the decision looks at. The listener builds it from the
 * socket and the parsed request; explain, tests and the decision API build it from raw
 * header lines with {@link decisionRequest}.
 */
export interface DecisionRequest {
  method: string
  /** The request target as sent: `/path?query` (anything else is refused at the guard). */
  target: string
  headers: RequestHeaders
  /** Node's `req.upgrade`: Connection lists `upgrade` and Upgrade is present (or the method is CONNECT). */
  upgrade: boolean
  /** The direct peer: the client, or the proxy in front of the gateway. */
  peer: { address: string }
  tls: TlsFacts
}

type HeaderObject = Record<string, string | string[] | undefined>
type AddHeaderLine = (this: { joinDuplicateHeaders: boolean }, name: string, value: string, into: HeaderObject) => void

/** Node's rule for one header line, the one its parser applies to every request (`IncomingMessage`'s own method). */
const addHeaderLine = (http.IncomingMessage.prototype as unknown as { _addHeaderLine: AddHeaderLine })._addHeaderLine
/** A listener as the gateway's are made: without `joinDuplicateHeaders`. */
const LISTENER = { joinDuplicateHeaders: false }

/**
 * Raw header lines (`[name, value, name, value…]`, as on the wire) joined exactly as the
 * listener's Node joins them: Node's own code does it, so `authorization` and `host` keep
 * the first copy, `cookie` is joined with `; `, `set-cookie` kept as a list, others with `, `.
 * Line by line into a plain object: no `IncomingMessage` (a stream) is made for it.
 */
export function nodeHeaders (rawHeaders: readonly string[]): HeaderObject {
  const headers: HeaderObject = {}
  for (let i = 0; i < rawHeaders.length; i += 2) addHeaderLine.call(LISTENER, rawHeaders[i] as string, rawHeaders[i + 1] as string, headers)
  return headers
}

/** llhttp's reading of `Connection: upgrade` plus `Upgrade`: what makes Node set `req.upgrade`. */
export function upgradeRequested (method: string, headers: RequestHeaders): boolean {
  if (method === 'CONNECT') return true
  if (headers.upgrade === undefined) return false
  const connection = headers.connection
  if (connection === undefined) return false
  for (const token of (Array.isArray(connection) ? connection.join(',') : connection).split(',')) {
    if (token.trim().toLowerCase() === 'upgrade') return true
  }
  return false
}

export interface RawRequest {
  method: string
  target: string
  /** `[name, value, …]` in the order sent; repeated names repeat. */
  rawHeaders: readonly string[]
  /** The direct peer's address; default 127.0.0.1. */
  peer?: string | undefined
  /** TLS facts; default a plain-HTTP connection. */
  tls?: TlsFacts | undefined
}

/** A {@link DecisionRequest} from what a client sent, as the listener would have parsed it. */
export function decisionRequest ({ method, target, rawHeaders, peer, tls }: RawRequest): DecisionRequest {
  const headers = nodeHeaders(rawHeaders)
  return {
    method,
    target,
    headers,
    upgrade: upgradeRequested(method, headers),
    peer: { address: peer ?? '127.0.0.1' },
    tls: tls ?? { encrypted: false, authorized: false }
  }
}
