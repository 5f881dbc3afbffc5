import type { AuthenticatorType } from '../config/schema.js'
import type { AuthenticatorConfig } from '../config/types.js'
import type { AuthDeps, Authenticator } from './types.js'
import { GatehouseError } from '../errors.js'
import type { Tracer } from '../telemetry/tracing.js'

type Factory<T extends AuthenticatorType> = (cfg: AuthenticatorConfig<T>, deps: AuthDeps) => Promise<Authenticator>

// Each authenticator's modules (oauth4webapi, jose, the oidc flow, the token store) are loaded
// here, once, while the gateway is built: a config that declares none of a kind never loads them.
const FACTORIES: { [T in AuthenticatorType]?: Factory<T> } = {
  apiKey: async (cfg, deps) => (await import('./api-key.js')).createApiKeyAuthenticator(cfg, deps.config.clients, deps.clock),
  clientToken: async (cfg, deps) =>
    (await import('./client-token.js')).createClientTokenAuthenticator(cfg, { clients: deps.config.clients, tokens: deps.tokens, cache: deps.cache }),
  mtls: async (cfg, deps) => (await import('./mtls.js')).createMtlsAuthenticator(cfg, deps.config.clients, deps.clock),
  jwt: async (cfg, deps) => await (await import('./jwt.js')).createJwtAuthenticator(cfg, deps),
  introspection: async (cfg, deps) => (await import('./introspection.js')).createIntrospectionAuthenticator(cfg, deps),
  basic: async (cfg, deps) =>
    await (await import('./basic.js')).createBasicAuthenticator(cfg, { slots: deps.secretSlots, cache: deps.cache, clock: deps.clock }),
  oidc: async (cfg, deps) => await (await import('./oidc/authenticator.js')).createOidcAuthenticator(cfg, deps),
  userToken: async (cfg, deps) =>
    (await import('./user-token.js')).createUserTokenAuthenticator(cfg, { store: deps.userTokens, logger: deps.logger, clock: deps.clock })
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
    out.set(name, deps.tracer === undefined ? built : traced(built, deps.tracer))
  }
  return out
}
