import type { Challenge } from '../errors.js'
import type { ClientRecord, GatewayConfig } from '../config/types.js'
import type { Logger } from '../logger.js'
import type { Cache } from '../cache/cache.js'
import type { Clock } from '../clock.js'
import type { DecisionCounters } from '../telemetry/decision-counters.js'
import type { TokenService } from '../tokens/token-service.js'
import type { UserTokenStore } from '../tokens/user-token-store.js'
import type { SecretCheckSlots } from '../secrets/secret-check-slots.js'
import type { Tracer } from '../telemetry/tracing.js'

/** What an authenticator may look at: no framework objects, so the core stays testable alone. */
export interface AuthRequest {
  method: string
  /** Lowercased names, as Node gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>
  /** The raw query string, without `?`. */
  query: string
  ip: string
  /** A WebSocket upgrade: an authenticator may also read what a browser can send there (a subprotocol entry, a query parameter). */
  upgrade?: boolean | undefined
  /** The verified TLS client certificate, when the connection has one. */
  peerCertificate?: PeerCertificate | undefined
  /** Came over TLS (directly, or as a trusted proxy's X-Forwarded-Proto says): decides the session cookie's name. */
  secure?: boolean | undefined
  /**
   * Asked by `explain` or a policy test: answer as for a real request, but leave no trace
   * another request would see (no failed login counted, no login remembered).
   */
  dryRun?: boolean | undefined
}

export interface PeerCertificate {
  /** Subject attributes, e.g. `{ CN: 'android', O: 'Acme' }`. */
  subject: Readonly<Record<string, string>>
  /** `AB:CD:…`, as Node gives it. */
  fingerprint256: string
  /** Whether the certificate chains to `server.tls.clientCa`. */
  authorized: boolean
}

export interface ClientPrincipal {
  kind: 'client'
  id: string
  client: ClientRecord
  /** What this credential may do: the client's scopes, or a token's narrower set. */
  scopes: string[]
  authenticator: string
  /**
   * The cache key (`gatehouse:v1:<kind>:<sha256>`, never the credential) whose invalidation
   * means this credential was revoked: a user token's record, a session, a client token's jti.
   * WebSockets it opened are closed with 1008 when any instance publishes it.
   */
  revocationKey?: string | undefined
}

export interface UserPrincipal {
  kind: 'user'
  id: string
  scopes: string[]
  claims: Readonly<Record<string, unknown>>
  /** The OAuth client the user's token was issued to (`azp` or `client_id`), for `bindUserToClient`. */
  tokenClientId: string | undefined
  /** The gatehouse client the credential itself belongs to (a user API token made for one): bindUserToClient wants exactly that client. */
  boundClient?: string | undefined
  authenticator: string
  /** Seconds since epoch after which this principal must be re-checked; undefined: no expiry known. */
  exp?: number | undefined
  /**
   * The cache key (`gatehouse:v1:<kind>:<sha256>`, never the credential) whose invalidation
   * means this credential was revoked: a user token's record, a session, a client token's jti.
   * WebSockets it opened are closed with 1008 when any instance publishes it.
   */
  revocationKey?: string | undefined
}

export type Principal = ClientPrincipal | UserPrincipal

/** Credentials an authenticator read, removed before forwarding unless `forwardCredentials`. */
export interface Consumed {
  headers: readonly string[]
  query: readonly string[]
  /** Prefixes of `Sec-WebSocket-Protocol` entries that carry a credential (`bearer.`). */
  protocols?: readonly string[] | undefined
  /** Cookies that carry a credential (a session id), taken out of the Cookie header. */
  cookies?: readonly string[] | undefined
}

export interface Authenticator {
  readonly name: string
  readonly type: string
  readonly principal: 'client' | 'user'
  /** The challenge it offers in `WWW-Authenticate` when its credential is missing. */
  readonly challenge: Challenge
  readonly consumes: Consumed
  /**
   * Its credential is a cookie, which the browser attaches on its own to requests any site
   * makes: a state-changing request it authenticates must come from this origin (CSRF).
   */
  readonly browserSession?: boolean
  /**
   * Undefined when the request carries no credential of this kind (the next authenticator
   * is asked); the principal on success; throws a GatehouseError when its credential fails.
   */
  authenticate (req: AuthRequest): Promise<Principal | undefined> | Principal | undefined
  close? (): Promise<void>
}

/** A call an authenticator made to its origin: an authorization server's introspection endpoint or a JWKS. */
export type OriginCall = 'introspection' | 'jwks'

/**
 * Told how long each origin call took and whether it gave a usable answer; the metrics
 * listen. Plain callback, so the core knows nothing of the exporter.
 */
export type OriginObserver = (call: OriginCall, authenticator: string, seconds: number, ok: boolean) => void

/** What an authenticator factory may use besides its own entry. */
export interface AuthDeps {
  config: GatewayConfig
  logger: Logger
  /** Verified credentials, by kind (`jwt`, `introspection`…). */
  cache: Cache
  /** The gateway's own token service (client tokens, assertions). */
  tokens: TokenService
  /** Told about every introspection and JWKS call (metrics). */
  observe?: OriginObserver | undefined
  /** User API tokens in `cache.redis`; undefined without Redis. */
  userTokens?: UserTokenStore | undefined
  /** The gateway's secret-check slots (Basic passwords), apart from the token endpoint's. */
  secretSlots: SecretCheckSlots
  /** Where each authenticator's verdicts are counted. */
  counters: DecisionCounters
  /** What expiries and cooldowns are measured with. */
  clock: Clock
  /** The gateway's tracer: authentications and origin calls in spans; undefined when not tracing. */
  tracer?: Tracer | undefined
}
