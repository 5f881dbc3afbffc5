import type { AuthenticatorType } from '../config/schema.js'
import type { AuthenticatorConfig } from '../config/types.js'
import { createApiKeyAuthenticator } from './api-key.js'
import { createBasicAuthenticator } from './basic.js'
import { createClientTokenAuthenticator } from './client-token.js'
import { createIntrospectionAuthenticator } from './introspection.js'
import { createJwtAuthenticator } from './jwt.js'
import { createMtlsAuthenticator } from './mtls.js'
import { createOidcAuthenticator } from './oidc/authenticator.js'
import { createUserTokenAuthenticator } from './user-token.js'
import type { AuthDeps, Authenticator } from './types.js'
import { GatehouseError } from '../errors.js'
import { currentTracer, type Tracer } from '../telemetry/tracing.js'

type Factory<T extends AuthenticatorType> = (cfg: AuthenticatorConfig<T>, deps: AuthDeps) => Authenticator | Promise<Authenticator>

const FACTORIES: { [T in AuthenticatorType]?: Factory<T> } = {
  apiKey: (cfg, deps) => createApiKeyAuthenticator(cfg, deps.config.clients, deps.clock),
  clientToken: (cfg, deps) => createClientTokenAuthenticator(cfg, { clients: deps.config.clients, tokens: deps.tokens, cache: deps.cache }),
  mtls: (cfg, deps) => createMtlsAuthenticator(cfg, deps.config.clients, deps.clock),
  jwt: createJwtAuthenticator,
  introspection: (cfg, deps) => createIntrospectionAuthenticator(cfg, deps),
  basic: async (cfg, deps) => await createBasicAuthenticator(cfg, { slots: deps.secretSlots, cache: deps.cache, clock: deps.clock }),
  oidc: createOidcAuthenticator,
  userToken: (cfg, deps) => createUserTokenAuthenticator(cfg, { store: deps.userTokens, logger: deps.logger, clock: deps.clock })
}

/** The authenticator, with each verdict on a credential it saw counted (none when it saw none). */
function counted (a: Authenticator, authDecisions: AuthDeps['counters']['authDecisions']): Authenticator {
  const ok = <P>(principal: P): P => {
    if (principal !== undefined) authDecisions.inc(a.name, 'ok')
    return principal
  }
  const failed = (err: unknown): never => {
    authDecisions.inc(a.name, err instanceof GatehouseError ? err.code : 'internal_error')
    throw err
  }
  return {
    ...a,
    // A verdict given synchronously (a cached credential) stays synchronous: no promise per request.
    authenticate (req) {
      let principal
      try {
        principal = a.authenticate(req)
      } catch (err) {
        return failed(err)
      }
      return principal instanceof Promise ? principal.then(ok, failed) : ok(principal)
    }
  }
}

/** The authenticator, each call in a span of its own (built only while tracing, so free otherwise). */
function traced (a: Authenticator, tracer: Tracer): Authenticator {
  const name = `authenticate ${a.name}`
  const attributes = { 'gatehouse.authenticator': a.name, 'gatehouse.authenticator.type': a.type }
  return { ...a, authenticate: async req => await tracer.inSpan(name, 'internal', attributes, async () => await a.authenticate(req)) }
}

/** Builds every declared authenticator once, at load: keys imported, lookups built. */
export async function createAuthenticators (deps: AuthDeps): Promise<Map<string, Authenticator>> {
  const out = new Map<string, Authenticator>()
  for (const [name, cfg] of deps.config.authenticators) {
    const factory = FACTORIES[cfg.type] as Factory<AuthenticatorType> | undefined
    if (factory === undefined) throw new Error(`authenticator "${name}": type ${cfg.type} is not built into this gatehouse`)
    const built = counted(await factory(cfg, deps), deps.counters.authDecisions)
    const tracer = currentTracer()
    out.set(name, tracer === undefined ? built : traced(built, tracer))
  }
  return out
}
