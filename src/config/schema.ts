/**
 * The config contract of DESIGN.md as TypeBox types: the JSON Schema in schema/ is
 * generated from these, and the loader validates against them, so the two cannot drift.
 */
import { Type, type Static, type TSchema, type TObject, type TProperties } from '@sinclair/typebox'

const strict = <T extends TProperties>(properties: T, description?: string): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) })

export const Duration = Type.String({
  pattern: '^[0-9]+(ms|s|m|h|d)$',
  description: 'A duration: 500ms, 30s, 5m, 1h, 7d'
})
export const Size = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: '^[0-9]+(B|KB|MB|GB|KiB|MiB|GiB)?$' })
], { description: 'A size in bytes: 1048576, 512KiB, 10MiB' })
const HostPort = Type.String({ pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s\\[\\]]*):[0-9]{1,5}$', description: 'host:port' })
const HeaderName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^`|~-]+$', description: 'An HTTP header name (no "_": such headers are stripped)' })
const HeaderGlob = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^`|~_-]+$', description: 'A header name; * matches any run of characters' })
const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', description: 'An identifier' })
const Scope = Type.String({ pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$', description: 'An OAuth 2.0 scope token' })
const DateString = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$',
  description: 'A date (2027-06-30, end of that day UTC) or an ISO 8601 date-time'
})

export const POLICIES = ['public', 'client', 'user', 'client+user'] as const
export type PolicyName = typeof POLICIES[number]
export const Policy = Type.Union(POLICIES.map(p => Type.Literal(p)))
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
export type HttpMethod = typeof HTTP_METHODS[number]
const Method = Type.Union(HTTP_METHODS.map(m => Type.Literal(m)))
export const PolicySpec = Type.Union([
  Policy,
  Type.Partial(Type.Record(Type.Union([Method, Type.Literal('*')]), Policy), { additionalProperties: false, minProperties: 1 })
], { description: 'A policy, or a map of method (or "*") to policy' })

const RateLimit = strict({
  max: Type.Integer({ minimum: 1 }),
  window: Duration
})
const RouteRateLimit = strict({
  max: Type.Integer({ minimum: 1 }),
  window: Duration,
  by: Type.Optional(Type.Union([Type.Literal('client'), Type.Literal('user'), Type.Literal('ip'), Type.Literal('client+user')])),
  onRedisError: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')], {
    description: 'When the Redis counter store fails: open lets the request through (logged, counted); closed answers 503'
  }))
})

const Server = strict({
  listen: Type.Optional(HostPort),
  admin: Type.Optional(Type.Union([HostPort, Type.Literal(false)])),
  adminToken: Type.Optional(Type.String({ description: 'Bearer token the admin listener asks for on /metrics and POST /cache/purge; empty: none (then bind admin to loopback)' })),
  workers: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')])),
  trustProxy: Type.Optional(Type.Union([Type.Boolean(), Type.Integer({ minimum: 0 }), Type.String(), Type.Array(Type.String())])),
  bodyLimit: Type.Optional(Size),
  bodyTimeout: Type.Optional(Duration),
  requestTimeout: Type.Optional(Duration),
  drainTimeout: Type.Optional(Duration),
  routing: Type.Optional(strict({
    caseSensitive: Type.Optional(Type.Boolean({ description: 'false (default): /API/x is matched as /api/x, as case-insensitive upstreams read it' })),
    ignoreTrailingSlash: Type.Optional(Type.Boolean({ description: 'true (default): /a/b/ is matched as /a/b' })),
    allowSemicolons: Type.Optional(Type.Boolean({ description: 'false (default): a path with a ; parameter is 400 ambiguous_path; true: each segment is matched without its ;... part' }))
  })),
  logLevel: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l)))),
  watch: Type.Optional(Type.Boolean({ description: 'Reload the config when the file changes' })),
  tls: Type.Optional(strict({ cert: Type.String(), key: Type.String(), clientCa: Type.Optional(Type.String()) }))
})

const RedisNode = strict({ host: Type.String(), port: Type.Integer({ minimum: 1, maximum: 65535 }) })
const Cache = strict({
  redis: Type.Optional(Type.Union([
    Type.String({ description: 'redis:// or rediss:// URL; empty for none' }),
    strict({ cluster: Type.Array(Type.Union([Type.String(), RedisNode]), { minItems: 1 }) }),
    strict({ sentinels: Type.Array(RedisNode, { minItems: 1 }), name: Type.String(), password: Type.Optional(Type.String()) })
  ])),
  integrityKey: Type.Optional(Type.String({ description: 'HMAC key over every cached value in Redis, the same on every instance (e.g. ${GATEHOUSE_CACHE_KEY}); empty: values are not authenticated' })),
  local: Type.Optional(strict({
    maxEntries: Type.Optional(Type.Integer({ minimum: 1, description: 'Most entries the in-process tier holds (default 100000)' })),
    maxSize: Type.Optional(Type.Union([Type.Integer({ minimum: 65536 }), Size.anyOf[1]], {
      description: 'Most bytes the in-process tier holds, keys and values estimated (default 16MiB, at least 64KiB); the least recently used entries go first'
    }))
  }))
})

const Identity = strict({
  headers: Type.Optional(strict({
    user: Type.Optional(HeaderName),
    client: Type.Optional(HeaderName),
    scopes: Type.Optional(HeaderName),
    auth: Type.Optional(HeaderName)
  })),
  claims: Type.Optional(Type.Record(Type.String(), HeaderName)),
  strip: Type.Optional(Type.Array(HeaderGlob)),
  stripOverrides: Type.Optional(Type.Array(HeaderGlob, { description: 'Headers that let a client steer an upstream past a per-method or per-path policy; removed from every request. Default: X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override, X-Original-URL, X-Rewrite-URL' })),
  assertion: Type.Optional(strict({ header: Type.Optional(HeaderName), ttl: Type.Optional(Duration) }))
})

const Tokens = strict({
  issuer: Type.Optional(Type.String()),
  ttl: Type.Optional(Duration),
  signingKeys: Type.Optional(Type.String({ description: 'JWKS file of private keys; empty: an ephemeral key' }))
})

const Client = strict({
  id: Name,
  name: Type.Optional(Type.String()),
  secretHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })),
  apiKeys: Type.Optional(Type.Array(strict({
    hash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256: and 64 lowercase hex digits' }),
    expires: Type.Optional(DateString)
  }))),
  scopes: Type.Optional(Type.Array(Scope)),
  userTokenClients: Type.Optional(Type.Array(Type.String())),
  rateLimit: Type.Optional(RateLimit),
  certificate: Type.Optional(strict({
    subject: Type.Optional(Type.String()),
    fingerprint: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-fA-F:]+$' }))
  })),
  expires: Type.Optional(DateString),
  disabled: Type.Optional(Type.Boolean())
})

const ApiKeyAuth = strict({
  type: Type.Literal('apiKey'),
  header: Type.Optional(HeaderName),
  query: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._~-]+$' }))
})
const ClientTokenAuth = strict({
  type: Type.Literal('clientToken'),
  header: Type.Optional(HeaderName),
  bearer: Type.Optional(Type.Boolean({ description: 'Also accept the token as Authorization: Bearer' }))
})
const MtlsAuth = strict({ type: Type.Literal('mtls') })
const JwtAuth = strict({
  type: Type.Literal('jwt'),
  issuer: Type.String(),
  audience: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.Literal(false)], {
    description: 'The token\'s aud must contain one of these; false accepts any audience (say so on purpose: tokens the IdP issued for other APIs then pass)'
  }),
  jwksUri: Type.Optional(Type.String()),
  publicKey: Type.Optional(Type.String()),
  secret: Type.Optional(Type.String()),
  algorithms: Type.Optional(Type.Array(Type.String())),
  userClaim: Type.Optional(Type.String()),
  scopeClaim: Type.Optional(Type.String()),
  clockTolerance: Type.Optional(Duration),
  requiredClaims: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
  maxTokenSize: Type.Optional(Size),
  jwksCooldown: Type.Optional(Duration),
  timeout: Type.Optional(Duration),
  webSocket: Type.Optional(strict({
    protocol: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^`|~-]+$', description: 'A Sec-WebSocket-Protocol entry of this prefix carries the token: bearer. reads bearer.<token>' })),
    query: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._~-]+$', description: 'A query parameter of this name carries the token' }))
  }, 'On a WebSocket upgrade only (a browser cannot set Authorization there), where else the token may come from; removed before forwarding'))
})
const IntrospectionAuth = strict({
  type: Type.Literal('introspection'),
  endpoint: Type.String(),
  clientId: Type.String(),
  clientSecret: Type.String(),
  clientAuth: Type.Optional(Type.Union([Type.Literal('basic'), Type.Literal('post')])),
  userClaim: Type.Optional(Type.String()),
  scopeClaim: Type.Optional(Type.String()),
  cacheTtl: Type.Optional(Duration),
  negativeCacheTtl: Type.Optional(Duration),
  timeout: Type.Optional(Duration)
})
const BasicAuth = strict({ type: Type.Literal('basic'), usersFile: Type.String() })
const UserTokenAuth = strict({
  type: Type.Literal('userToken'),
  scheme: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^`|~-]+$', default: 'Token', description: 'The Authorization scheme the token comes with: Token (default) reads Authorization: Token <key>, as DRF\'s TokenAuthentication' })),
  header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^`|~-]+$', default: 'Authorization', description: 'Where the token comes from; another header than Authorization (X-User-Token) carries the bare token, without a scheme' })),
  tokens: Type.Optional(Type.Array(strict({
    hash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256: and 64 lowercase hex digits of the token' }),
    user: Type.String({ minLength: 1, description: 'The user the token speaks for (Remote-User)' }),
    scopes: Type.Optional(Type.Array(Scope, { description: 'What the token may do; none: no scopes' })),
    client: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', description: 'The gatehouse client the token belongs to: on a bindUserToClient route it is accepted only with that client' })),
    expires: Type.Optional(DateString)
  }), { description: 'Tokens listed here, by hash, for small setups; checked before the Redis store (cache.redis)' }))
})

/** Each authenticator type, by its `type`: the loader validates an entry against its own. */
export const AUTHENTICATOR_SCHEMAS = {
  apiKey: ApiKeyAuth,
  clientToken: ClientTokenAuth,
  mtls: MtlsAuth,
  jwt: JwtAuth,
  introspection: IntrospectionAuth,
  basic: BasicAuth,
  userToken: UserTokenAuth
} as const
export type AuthenticatorType = keyof typeof AUTHENTICATOR_SCHEMAS
/** Which principal each type proves. */
export const AUTHENTICATOR_PRINCIPAL: Record<AuthenticatorType, 'client' | 'user'> = {
  apiKey: 'client',
  clientToken: 'client',
  mtls: 'client',
  jwt: 'user',
  introspection: 'user',
  basic: 'user',
  userToken: 'user'
}
export const AuthenticatorSpec = Type.Union(Object.values(AUTHENTICATOR_SCHEMAS) as TSchema[])

const Upstream = strict({
  url: Type.String({ pattern: '^https?://', description: 'an http:// or https:// URL' }),
  timeout: Type.Optional(Duration),
  connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 }))
})

const ClaimValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()])
const Route = strict({
  match: Type.String({ pattern: '^/', description: '/api/orders/:id (one segment) or /api/orders/* (the prefix and below)' }),
  methods: Type.Optional(Type.Array(Method, { minItems: 1 })),
  upstream: Name,
  policy: PolicySpec,
  client: Type.Optional(Type.Array(Name)),
  user: Type.Optional(Type.Array(Name)),
  scopes: Type.Optional(Type.Array(Scope)),
  require: Type.Optional(strict({ claims: Type.Record(Type.String(), Type.Union([ClaimValue, Type.Array(ClaimValue)])) })),
  clients: Type.Optional(Type.Array(Name)),
  bindUserToClient: Type.Optional(Type.Boolean()),
  rateLimit: Type.Optional(RouteRateLimit),
  forwardCredentials: Type.Optional(Type.Boolean()),
  websocket: Type.Optional(Type.Union([
    Type.Boolean(),
    strict({
      maxPayload: Type.Optional(Size),
      idleTimeout: Type.Optional(Duration),
      closeOnExpiry: Type.Optional(Type.Boolean({ description: "Close with 1008 when the user token that opened the connection expires (its exp)" }))
    })
  ], { description: 'Carry WebSocket upgrades on this route: the upgrade runs the whole pipeline first' }))
})

export const ConfigSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  server: Type.Optional(Server),
  cache: Type.Optional(Cache),
  identity: Type.Optional(Identity),
  tokens: Type.Optional(Tokens),
  clients: Type.Optional(Type.Array(Client)),
  authenticators: Type.Optional(Type.Record(Name, AuthenticatorSpec)),
  upstreams: Type.Record(Name, Upstream),
  routes: Type.Array(Route)
}, { additionalProperties: false, title: 'gatehouse gateway config' })

export type RawAuthenticatorAny = { [T in AuthenticatorType]: Static<typeof AUTHENTICATOR_SCHEMAS[T]> }[AuthenticatorType]
export type RawConfig = Omit<Static<typeof ConfigSchema>, 'authenticators'> & { authenticators?: Record<string, RawAuthenticatorAny> }
export type RawClient = Static<typeof Client>
export type RawRoute = Static<typeof Route>
export type RawUpstream = Static<typeof Upstream>
export type RawAuthenticator<T extends AuthenticatorType = AuthenticatorType> = Static<typeof AUTHENTICATOR_SCHEMAS[T]>
export type RawIdentity = Static<typeof Identity>
