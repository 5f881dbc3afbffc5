import { Writable } from 'node:stream'
import { createAuthenticators } from '../../src/auth/registry.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { TokenService } from '../../src/tokens/token-service.js'
import { loadSigningKeys } from '../../src/tokens/signing-keys.js'
import { RevokedJtis, Revocations } from '../../src/tokens/revocation.js'
import { createLogger } from '../../src/logger.js'
import { GatehouseError, renderChallenge } from '../../src/errors.js'
import { createDecisionCounters } from '../../src/telemetry/decision-counters.js'
import { SecretCheckSlots } from '../../src/secrets/secret-check-slots.js'
import type { Cache } from '../../src/cache/cache.js'
import type { GatewayConfig } from '../../src/config/types.js'
import type { AuthDeps, AuthRequest, Authenticator } from '../../src/auth/types.js'
import { configOf } from './config.js'
import { manualClock, type TestClock } from './clock.js'

export const quietLogger = createLogger(
  'info',
  [],
  new Writable({
    write (_c, _e, cb) {
      cb()
    }
  })
)

export interface AuthUnit {
  auth: Map<string, Authenticator>
  /** The authenticator named `name`; throws when the config has none. */
  get: (name: string) => Authenticator
  /** The cache the authenticators were given (wrapped, when the test asked). */
  cache: Cache
  config: GatewayConfig
  clock: TestClock
  tokens: TokenService
}

/**
 * The authenticators of a config as the gateway builds them (registry.ts), on a manual clock
 * and an in-process cache: for unit tests of one authenticator without listeners.
 */
export async function authUnit (
  yaml: string,
  clock = manualClock(),
  extra: Partial<AuthDeps> & { wrapCache?: (cache: Cache) => Cache } = {}
): Promise<AuthUnit> {
  const config = configOf(yaml)
  const local = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quietLogger, undefined, undefined, undefined, undefined, clock)
  const { wrapCache, ...deps } = extra
  const cache = wrapCache === undefined ? local : wrapCache(local)
  const tokens = new TokenService(
    await loadSigningKeys(undefined, undefined),
    config.tokens.issuer,
    config.tokens.ttlMs,
    new Revocations(local, new RevokedJtis(100, clock), quietLogger, undefined, clock),
    clock
  )
  const auth = await createAuthenticators({
    config,
    logger: quietLogger,
    cache,
    tokens,
    clock,
    secretSlots: new SecretCheckSlots(['oauth']),
    counters: createDecisionCounters(),
    ...deps
  })
  const get = (name: string): Authenticator => {
    const a = auth.get(name)
    if (a === undefined) throw new Error(`no authenticator ${name}`)
    return a
  }
  return { auth, get, cache, config, clock, tokens }
}

export const authRequest = (headers: AuthRequest['headers'] = {}, extra: Partial<AuthRequest> = {}): AuthRequest => ({
  method: 'GET',
  headers,
  query: '',
  ip: '10.0.0.1',
  ...extra
})

/** What an authentication decided: the principal's fields, or the refusal's status, code, detail and challenges. */
export interface AuthOutcome {
  kind?: string
  id?: string
  scopes?: string[]
  claims?: Record<string, unknown>
  tokenClientId?: string | undefined
  exp?: number | undefined
  authenticator?: string
  status?: number
  code?: string
  detail?: string
  challenges?: string[]
  headers?: Record<string, string> | undefined
}

export async function authOutcome (a: Authenticator, req: AuthRequest): Promise<AuthOutcome | undefined> {
  try {
    const p = await a.authenticate(req)
    if (p === undefined) return undefined
    const out: AuthOutcome = { kind: p.kind, id: p.id, scopes: p.scopes, authenticator: p.authenticator }
    if (p.kind === 'user') Object.assign(out, { claims: { ...p.claims }, tokenClientId: p.tokenClientId, exp: p.exp })
    return out
  } catch (err) {
    if (!(err instanceof GatehouseError)) throw err
    return { status: err.status, code: err.code, detail: err.detail, challenges: (err.challenges ?? []).map(renderChallenge), headers: err.headers }
  }
}

/** One client (android, orders:read) and a route that takes the gateway's own client tokens. */
export const CLIENT_TOKEN_YAML = `clients:
  - id: android
    scopes: [orders:read]
authenticators:
  tokens: { type: clientToken }
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, client: [tokens], policy: client }
`
