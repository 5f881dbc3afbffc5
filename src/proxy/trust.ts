import proxyaddr from 'proxy-addr'

/** Whether the hop at `addr` (`i`: 0 is the direct peer, 1 the one before it…) may speak for the client. */
export type TrustFn = (addr: string, i: number) => boolean

/**
 * `server.trustProxy` as proxy-addr reads it, compiled once: `true` trusts every hop, a
 * number that many hops from the gateway, a string or list those addresses and CIDRs
 * (`loopback`, `10.0.0.0/8`); `false` none.
 */
export function compileTrust (setting: boolean | number | string | string[]): TrustFn {
  if (setting === true) return () => true
  if (setting === false) return () => false
  if (typeof setting === 'number') return (_addr, i) => i < setting
  return proxyaddr.compile(typeof setting === 'string' ? setting.split(',').map(s => s.trim()) : setting)
}

export interface Peer {
  /** The client's address: the direct peer, or through trusted proxies the last untrusted hop. */
  clientIp: string
  /** The direct peer's address, as the socket has it. */
  peerIp: string
  /** Whether the direct peer is a trusted proxy: then its X-Forwarded-For and Forwarded are kept. */
  peerTrusted: boolean
}

type Headers = Readonly<Record<string, string | string[] | undefined>>

/** The peer and client addresses of a request from `address` with these headers, as proxy-addr reads them. */
export function peerOf (headers: Headers, address: string, trust: TrustFn): Peer {
  const peerTrusted = trust(address, 0)
  if (!peerTrusted) return { peerIp: address, peerTrusted, clientIp: address }
  // proxy-addr reads the request's X-Forwarded-For and its connection's address: nothing else.
  const req = { headers, connection: { remoteAddress: address }, socket: { remoteAddress: address } } as unknown as Parameters<typeof proxyaddr>[0]
  return { peerIp: address, peerTrusted, clientIp: proxyaddr(req, trust) }
}

/** The last entry of a header a chain of proxies appends to (`X-Forwarded-Proto: http, https`): the nearest one's. */
function lastEntry (value: string | string[]): string {
  const joined = Array.isArray(value) ? value.join(',') : value
  const comma = joined.lastIndexOf(',')
  return comma === -1 ? joined.trim() : joined.slice(comma + 1).trim()
}

/**
 * The scheme and host the client used, read as Fastify reads `request.protocol` and
 * `request.host` under the same `trustProxy`: a trusted peer's X-Forwarded-Proto and
 * X-Forwarded-Host, else the connection's TLS and the Host header.
 */
export function clientOrigin (headers: Headers, address: string, encrypted: boolean, trust: TrustFn): { protocol: string, host: string } {
  const trusted = trust(address, 0)
  const proto = headers['x-forwarded-proto']
  const fwdHost = headers['x-forwarded-host']
  const host = headers.host
  return {
    protocol: trusted && proto !== undefined && proto !== '' ? lastEntry(proto) : encrypted ? 'https' : 'http',
    host: trusted && fwdHost !== undefined && fwdHost !== '' ? lastEntry(fwdHost) : typeof host === 'string' ? host : ''
  }
}
