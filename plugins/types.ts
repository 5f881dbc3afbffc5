import type { GatehouseError } from '../src/errors.js'
import type { Identity } from '../src/policy/authenticate.js'
import type { RuntimeRoute } from '../src/gateway.js'

/** Per-request state the plugins share; set once, read by the proxy and the access log. */
export interface RequestState {
  identity: Identity | undefined
  identityHeaders: Array<[string, string]>
  error: GatehouseError | undefined
}

declare module 'fastify' {
  interface FastifyRequest {
    gatehouse: RequestState
  }
  interface FastifyContextConfig {
    route?: RuntimeRoute
  }
}
