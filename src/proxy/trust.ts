import type { IncomingMessage } from 'node:http'
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

export function peerOf (req: IncomingMessage, trust: TrustFn): Peer {
  const peerIp = req.socket.remoteAddress ?? ''
  const peerTrusted = trust(peerIp, 0)
  return { peerIp, peerTrusted, clientIp: peerTrusted ? proxyaddr(req, trust) : peerIp }
}
