import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TLSSocket } from 'node:tls'
import { authenticate } from '../src/policy/authenticate.js'
import { authorize } from '../src/policy/authorize.js'
import { identityHeaders } from '../src/identity/headers.js'
import type { Gateway } from '../src/gateway.js'
import type { AuthRequest, PeerCertificate } from '../src/auth/types.js'
import './types.js'

function peerCertificate (request: FastifyRequest): PeerCertificate | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>
  if (socket.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return undefined
  const cert = socket.getPeerCertificate()
  if (cert === null || Object.keys(cert).length === 0) return undefined
  const subject: Record<string, string> = {}
  for (const [k, v] of Object.entries(cert.subject ?? {})) subject[k] = Array.isArray(v) ? v.join('+') : String(v)
  return { subject, fingerprint256: cert.fingerprint256, authorized: socket.authorized === true }
}

export function toAuthRequest (request: FastifyRequest): AuthRequest {
  const q = request.url.indexOf('?')
  return {
    method: request.method,
    headers: request.headers,
    query: q === -1 ? '' : request.url.slice(q + 1),
    ip: request.ip,
    peerCertificate: peerCertificate(request)
  }
}

/** The route hook: authenticate per the route's policy, authorize, then precompute the identity headers. */
export function authHook (gateway: Gateway) {
  return async function gatehouseAuth (request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const route = request.routeOptions.config.route
    if (route === undefined) return
    const identity = await authenticate(route, request.method, toAuthRequest(request))
    request.gatehouse.identity = identity
    authorize(route, identity)
    request.gatehouse.identityHeaders = identityHeaders(gateway.identity, identity)
  }
}
