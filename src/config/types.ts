/** The normalised config the rest of the gateway reads: durations in ms, paths resolved, lookups prebuilt. */
import type { AuthenticatorType, HttpMethod, PolicyName, RawAuthenticator } from './schema.js'
import type { RoutingConfig } from '../routing/options.js'
import type { RewriteConfig } from '../routing/rewrite.js'

export interface HostPort { host: string, port: number }

export interface ClientRecord {
  id: string
  name: string
  secretHash: string | undefined
  apiKeys: Array<{ hash: string, expiresAt: number | null }>
  scopes: string[]
  userTokenClients: string[]
  rateLimit: { max: number, windowMs: number } | undefined
  certificate: { subject?: string, fingerprint?: string } | undefined
  expiresAt: number | null
  disabled: boolean
}

export interface AuthenticatorConfig<T extends AuthenticatorType = AuthenticatorType> {
  name: string
  type: T
  principal: 'client' | 'user'
  /** The entry as written, with `${VAR}`s expanded and relative file paths resolved. */
  spec: RawAuthenticator<T>
}

export interface UpstreamConfig {
  name: string
  /** The first target's URL (its path is every target's base path). */
  url: string
  origin: string
  /** Every target's origin, `url`'s first; one for an upstream with a single `url`. */
  targets: string[]
  balance: 'round-robin' | 'least-pending'
  /** Failures in a row (connect failures, 502/503/504) that take a target out, and for how long. */
  passiveHealth: { failures: number, cooldownMs: number }
  healthCheck: { path: string, intervalMs: number, timeoutMs: number } | undefined
  retries: number
  /** Which failures an idempotent request without a body is tried again on another target after. */
  retryOn: ReadonlySet<RetryOn>
  timeoutMs: number
  connections: number
}

export type RetryOn = 'connect-failure' | 'empty-response'

/** `cors:` on a route, or `server.cors` for routes without one; origins as written (validated). */
export interface CorsConfig {
  origins: string[]
  /** Undefined: the route's methods. */
  methods: string[] | undefined
  /** Undefined: whatever request headers a preflight asks for. */
  headers: string[] | undefined
  exposeHeaders: string[]
  credentials: boolean
  maxAgeS: number | undefined
}

export type RateLimitBy = 'client' | 'user' | 'ip' | 'client+user'

export interface RouteConfig {
  index: number
  match: string
  /** The find-my-way paths the pattern expands to. */
  urls: string[]
  methods: HttpMethod[]
  policy: Readonly<Record<string, PolicyName>>
  upstream: string
  client: string[]
  user: string[]
  scopes: string[]
  requireClaims: Array<[claim: string, allowed: Array<string | number | boolean>]>
  clients: Set<string> | undefined
  bindUserToClient: boolean
  rateLimit: { max: number, windowMs: number, by: RateLimitBy, onRedisError: 'open' | 'closed' } | undefined
  forwardCredentials: boolean
  /** strict: a browser session's GETs and HEADs from another origin are refused too (csrf_failed). */
  csrf: 'lax' | 'strict'
  /** Undefined: upgrades on this route are refused (404, as an undeclared path). */
  websocket: WebSocketRouteConfig | undefined
  /** The route's `cors:`, else `server.cors`; undefined: the gateway adds no CORS header and answers no preflight. */
  cors: CorsConfig | undefined
  /** Undefined: the upstream gets the path judged. */
  rewrite: RewriteConfig | undefined
}

export interface WebSocketRouteConfig {
  /** The largest message either side may send, in bytes. */
  maxPayload: number
  /** No frame either way for this long closes the connection (1001); 0: never. */
  idleTimeoutMs: number
  closeOnExpiry: boolean
}

export interface IdentityConfig {
  headers: { user: string, client: string, scopes: string, auth: string }
  claims: Array<[claim: string, header: string]>
  strip: string[]
  /** Headers that would let a client steer an upstream past a per-method or per-path policy. */
  stripOverrides: string[]
  assertion: { header: string, ttlMs: number } | undefined
}

export type RedisConfig =
  | { url: string }
  | { cluster: Array<string | HostPort> }
  | { sentinels: HostPort[], name: string, password?: string }

export interface TelemetryConfig {
  endpoint: string
  headers: Record<string, string>
  serviceName: string
  sampleRatio: number
  exportIntervalMs: number
}

/** A config warning (see src/config/warnings.ts), located like a config error. */
export interface ConfigWarning {
  file: string
  line: number
  col: number
  path: string
  message: string
  level: 'warning' | 'hint'
}

export interface BufferConfig {
  /** Request bodies up to this many bytes are read whole before their request takes an upstream connection. */
  requestBody: number
  /** Bytes of an answer held for a client that reads slower than its upstream sends. */
  response: number
  /** Bytes the process holds for slow clients, bodies and answers together. */
  total: number
}

export interface GatewayConfig {
  file: string
  /** sha256 of the file's text: tells which config a process runs. */
  hash: string
  server: {
    listen: HostPort
    admin: HostPort | undefined
    /** Bearer token for the admin listener's /metrics and POST /cache/purge; undefined: none asked. */
    adminToken: string | undefined
    /** The decision API listener (nginx auth_request, Traefik forwardAuth, Envoy ext_authz); undefined: off. */
    decisions: HostPort | undefined
    /** The secret a proxy sends the decision API in X-Gatehouse-Decisions-Token; undefined: none asked. */
    decisionsToken: string | undefined
    /** The most a proxy may reuse a decision API allow; 0: never (no-store). */
    decisionsCacheTtlMs: number
    workers: number | 'auto'
    trustProxy: boolean | number | string | string[]
    /** The origins (as URL.origin spells them) a request's Host must name; empty: any Host. */
    publicOrigins: string[]
    bodyLimit: number
    /** A body read whole must arrive within this, a streamed one send something this often: else 408, its upstream request aborted. */
    bodyTimeoutMs: number
    /** Node's whole-request timeout; never 0 (0 would let a slow upload hold a connection forever). */
    requestTimeoutMs: number
    /** A client that reads nothing of its answer this long is cut; never 0. */
    sendTimeoutMs: number
    /** What the gateway holds for slow clients so they never hold an upstream connection. */
    buffer: BufferConfig
    /** SIGTERM: in-flight requests get this long, then what is left is closed. */
    drainTimeoutMs: number
    routing: RoutingConfig
    logLevel: string
    watch: boolean
    tls: { cert: string, key: string, clientCa: string | undefined } | undefined
  }
  cache: {
    redis: RedisConfig | undefined
    localMaxEntries: number
    /** Bytes (estimated: keys and values) the in-process tier may hold, besides `localMaxEntries`. */
    localMaxSize: number
    /** HMAC key over every value in Redis; undefined: values travel unauthenticated (warned at start). */
    integrityKey: string | undefined
  }
  identity: IdentityConfig
  tokens: { issuer: string, ttlMs: number, signingKeys: string | undefined }
  /** OTLP span export; undefined: no spans, and nothing of the OpenTelemetry SDK loaded. */
  telemetry: TelemetryConfig | undefined
  clients: Map<string, ClientRecord>
  authenticators: Map<string, AuthenticatorConfig>
  upstreams: Map<string, UpstreamConfig>
  routes: RouteConfig[]
  /** What `gatehouse check` warns about and the gateway logs at start: valid, but likely not meant. */
  warnings: ConfigWarning[]
}
