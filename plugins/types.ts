import type { GatehouseError } from '../src/errors.js'
import type { Identity } from '../src/policy/authenticate.js'
import type { RuntimeRoute } from '../src/gateway.js'

/** Per-request state the plugins share; set once, read by the proxy and the access log. */
export interface RequestState {
  identity: Identity | undefined
  identityHeaders: Array<[string, string]>
  error: GatehouseError | undefined
  /** ms from arrival until the request went upstream (the gateway's own time); -1 until then. */
  forwardedMs: number
  /** ms from then until the upstream's response headers (or its failure); -1 until then. */
  upstreamMs: number
  upstreamFailed: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    gatehouse: RequestState
  }
  interface FastifyContextConfig {
    route?: RuntimeRoute
  }
}
