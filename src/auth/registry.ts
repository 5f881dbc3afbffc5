import type { AuthenticatorType } from '../config/schema.js'
import type { AuthenticatorConfig, GatewayConfig } from '../config/types.js'
import type { Logger } from '../logger.js'
import type { Cache } from '../cache/cache.js'
import type { TokenService } from '../tokens/token-service.js'
import { createApiKeyAuthenticator } from './api-key.js'
import { createBasicAuthenticator } from './basic.js'
import { createClientTokenAuthenticator } from './client-token.js'
import { createIntrospectionAuthenticator } from './introspection.js'
import { createJwtAuthenticator } from './jwt.js'
import { createMtlsAuthenticator } from './mtls.js'
import type { Authenticator } from './types.js'

/** What an authenticator factory may use besides its own entry. */
export interface AuthDeps {
  config: GatewayConfig
  logger: Logger
  /** Verified credentials, by kind (`jwt`, `introspection`…). */
  cache: Cache
  /** The gateway's own token service (client tokens, assertions). */
  tokens: TokenService
}

type Factory<T extends AuthenticatorType> = (cfg: AuthenticatorConfig<T>, deps: AuthDeps) => Authenticator | Promise<Authenticator>

const FACTORIES: { [T in AuthenticatorType]?: Factory<T> } = {
  apiKey: (cfg, deps) => createApiKeyAuthenticator(cfg, deps.config.clients),
  clientToken: (cfg, deps) => createClientTokenAuthenticator(cfg, { clients: deps.config.clients, tokens: deps.tokens, cache: deps.cache }),
  mtls: (cfg, deps) => createMtlsAuthenticator(cfg, deps.config.clients),
  jwt: createJwtAuthenticator,
  introspection: (cfg, deps) => createIntrospectionAuthenticator(cfg, deps),
  basic: async cfg => await createBasicAuthenticator(cfg)
}

/** Builds every declared authenticator once, at load: keys imported, lookups built. */
export async function createAuthenticators (deps: AuthDeps): Promise<Map<string, Authenticator>> {
  const out = new Map<string, Authenticator>()
  for (const [name, cfg] of deps.config.authenticators) {
    const factory = FACTORIES[cfg.type] as Factory<AuthenticatorType> | undefined
    if (factory === undefined) throw new Error(`authenticator "${name}": type ${cfg.type} is not built into this gatehouse`)
    out.set(name, await factory(cfg, deps))
  }
  return out
}
