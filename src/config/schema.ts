/**
 * The config contract (docs/configuration.md) as TypeBox types: the JSON Schema in schema/ and the
 * configuration reference in docs/ are generated from these, and the loader validates
 * against them, so the three cannot drift.
 *
 * Every key carries a `description` (and a `default` where the default is one fixed value):
 * test/unit/config-schema-descriptions.test.ts names any key without one. A value format
 * shared by several keys carries a `title` instead, which config errors quote ("expected a
 * duration: ...") and the reference lists once under "Value formats".
 */
import { Type, type Static, type TLiteral, type TSchema, type TObject, type TProperties } from '@sinclair/typebox'
import { AUTHENTICATOR_PRINCIPAL, HTTP_METHODS, POLICIES, type AuthenticatorType, type HttpMethod, type PolicyName } from './names.js'

export { AUTHENTICATOR_PRINCIPAL, HTTP_METHODS, POLICIES, type AuthenticatorType, type HttpMethod, type PolicyName }

const strict = <T extends TProperties>(properties: T, description?: string): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) })

/** A key's documentation on a copy of its (possibly shared) schema. */
function doc<T extends TSchema> (schema: T, description: string, defaultValue?: unknown): T {
  return { ...schema, description, ...(defaultValue === undefined ? {} : { default: defaultValue }) }
}

export const Duration = Type.String({
  pattern: '^[0-9]+(ms|s|m|h|d)$',
  title: 'A duration: 500ms, 30s, 5m, 1h, 7d'
})
export const Size = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: '^[0-9]+(B|KB|MB|GB|KiB|MiB|GiB)?$' })
], { title: 'A size in bytes: 1048576, 512KiB, 10MiB' })
const HostPort = Type.String({ pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s\\[\\]]*):[0-9]{1,5}$', title: 'host:port' })
const HeaderName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^`|~-]+$', title: 'An HTTP header name (no "_": such headers are stripped)' })
const HeaderGlob = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^`|~_-]+$', title: 'A header name; * matches any run of characters' })
const OverrideName = Type.String({
  pattern: '^([A-Za-z0-9!#$%&\'*+.^`|~_-]+|\\?[A-Za-z0-9._~\\[\\]-]+)$',
  title: 'A header name (* matches any run of characters), or a query parameter written ?name'
})
const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', title: 'An identifier' })
const Scope = Type.String({ pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$', title: 'An OAuth 2.0 scope token' })
const DateString = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$',
  title: 'A date (2027-06-30, end of that day UTC) or an ISO 8601 date-time'
})

export const Policy = Type.Union(POLICIES.map(p => Type.Literal(p)))
const Method = Type.Union(HTTP_METHODS.map(m => Type.Literal(m)))
export const PolicySpec = Type.Union([
  Policy,
  Type.Partial(Type.Record(Type.Union([Method, Type.Literal('*')]), Policy), { additionalProperties: false, minProperties: 1 })
], { title: 'A policy, or a map of method (or "*") to policy' })

/** The value formats the reference explains once, by the name it shows in its type column. */
export const VALUE_FORMATS: Record<string, TSchema> = {
  duration: Duration,
  size: Size,
  'host:port': HostPort,
  header: HeaderName,
  'header glob': HeaderGlob,
  name: Name,
  scope: Scope,
  date: DateString,
  policy: PolicySpec
}

const RateLimit = strict({
  max: doc(Type.Integer({ minimum: 1 }), 'Requests allowed per window'),
  window: doc(Duration, 'The fixed window the requests are counted in')
})
const RouteRateLimit = strict({
  max: doc(Type.Integer({ minimum: 1 }), 'Requests allowed per window and key; each route counts on its own'),
  window: doc(Duration, 'The fixed window the requests are counted in'),
  by: Type.Optional(
    doc(
      Type.Union([Type.Literal('client'), Type.Literal('user'), Type.Literal('ip'), Type.Literal('client+user')]),
      'What is counted: the client, the user, the address (IPv6 per /64) or the client+user pair. A principal the request does not ' +
        'carry is replaced by the address. Default: client if the policy requires a client, else user if it requires a user, else ip'
    )
  ),
  onRedisError: Type.Optional(
    doc(
      Type.Union([Type.Literal('open'), Type.Literal('closed')]),
      'When the Redis counter store fails (or a command takes over 1 s): open lets the ' +
        'request through uncounted (logged, counted); closed answers 503 auth_unavailable',
      'open'
    )
  )
})

const Cors = strict(
  {
    origins: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description:
        'Origins whose pages may read the answers: exact (https://app.example.com), patterns where * is one host label or the ' +
          'port (https://*.example.com, http://localhost:*), or ["*"] for any (never with credentials). "null" is never allowed'
    }),
    methods: Type.Optional(doc(Type.Array(Method, { minItems: 1 }), "The methods a preflight may ask for. Default: the route's methods")),
    headers: Type.Optional(
      doc(Type.Array(HeaderName), 'The request headers a preflight may ask for (Authorization, X-API-Key, Content-Type...). Default: whatever it asks for')
    ),
    exposeHeaders: Type.Optional(
      doc(Type.Array(HeaderName), 'Response headers the page may read besides the CORS-safelisted ones (X-Request-Id, WWW-Authenticate, Retry-After...)', [])
    ),
    credentials: Type.Optional(
      Type.Boolean({
        description:
          'true: pages of these origins may send the browser\'s cookies (fetch credentials: "include") and read ' +
            'the answers; their cookie-authenticated unsafe requests pass the CSRF check. Not with origins ["*"]',
        default: false
      })
    ),
    maxAge: Type.Optional(
      doc(Duration, 'How long a browser may reuse a preflight answer (Access-Control-Max-Age; Chromium caps it at 2h). Default: not sent (5s in browsers)')
    )
  },
  'CORS, answered by the gateway: a preflight (OPTIONS with Origin and Access-Control-Request-Method) gets 204 without authentication ' +
    'and never reaches the upstream; every other answer, refusals included, carries the Access-Control-* headers for an allowed origin'
)

const Server = strict(
  {
    listen: Type.Optional(doc(HostPort, 'The public listener', '0.0.0.0:8080')),
    admin: Type.Optional(
      doc(
        Type.Union([HostPort, Type.Literal(false)]),
        'The admin listener (/healthz, /readyz, /metrics, POST /cache/purge), never reachable ' +
          'through routes; false for none. Keep it on a loopback or private address, or set adminToken',
        '127.0.0.1:9090'
      )
    ),
    adminToken: Type.Optional(
      Type.String({
        description:
          'Bearer token (16 characters or more, e.g. ${GATEHOUSE_ADMIN_TOKEN}) the admin listener asks for on /metrics and POST ' +
            '/cache/purge (401 otherwise); /healthz and /readyz stay open for probes. Empty or absent: none (then bind admin to loopback)'
      })
    ),
    decisions: Type.Optional(
      doc(
        HostPort,
        'The decision API listener (/nginx, /traefik, /envoy/…): a proxy in front of the upstreams asks it whether each request may pass, as whom. Off ' +
          "when absent; never on the public listener. The proxy is trusted for the client's address and scheme: bind it to loopback or a private address"
      )
    ),
    decisionsToken: Type.Optional(
      Type.String({
        description:
          'Secret (16 characters or more, e.g. ${GATEHOUSE_DECISIONS_TOKEN}) the proxy must send to the decision API ' +
            'in X-Gatehouse-Decisions-Token (401 otherwise); compared in constant time. Empty or absent: none asked'
      })
    ),
    decisionsCacheTtl: Type.Optional(
      doc(
        Duration,
        "How long a proxy may reuse an allow of the decision API: Cache-Control private, max-age (never past the credential's expiry) " +
          'with Vary on the credentials the route reads; never for a rate-limited route, a browser-session route or a refusal. 0: no-store',
        '0s'
      )
    ),
    workers: Type.Optional(
      doc(
        Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')]),
        'N processes (auto: one per CPU, but no more than the cgroup CPU limit, rounded up) sharing the ports ' +
          'through node:cluster; the primary checks the config once, replaces a worker that dies and passes signals on',
        1
      )
    ),
    trustProxy: Type.Optional(
      doc(
        Type.Union([Type.Boolean(), Type.Integer({ minimum: 0 }), Type.String(), Type.Array(Type.String())]),
        'Which peers are proxies that may speak for the client, as proxy-addr reads it: true (every hop), a hop count (1: one ' +
          "balancer in front), or addresses and CIDRs (\"10.0.0.0/8\", [loopback, 10.1.2.3]). The client's address (rate limits " +
          "by ip, logs) is then taken from X-Forwarded-For through the trusted hops. A trusted peer's X-Forwarded-For is kept " +
          "with the peer appended and its Forwarded passed on; any other peer's are replaced by its own address and dropped",
        false
      )
    ),
    publicOrigins: Type.Optional(
      doc(
        Type.Array(Type.String()),
        'The origins clients reach the gateway by (https://api.example.com, scheme, host and port). The Host (or, from a trusted proxy, X-Forwarded-Host ' +
          'and X-Forwarded-Proto) must be one of them, else 421 misdirected_request, on every public path (routes, token and login endpoints); the browser ' +
          "login's redirect_uri, the CSRF check and X-Forwarded-Host use the one that matched, never what the client sent. Empty: any Host, taken as sent",
        []
      )
    ),
    bodyLimit: Type.Optional(
      doc(Size, 'Largest request body; over it is 413 payload_too_large (declared lengths at once, chunked bodies as they stream)', '10MiB')
    ),
    bodyTimeout: Type.Optional(
      doc(
        Duration,
        'A request body read whole (up to buffer.requestBody) must arrive within this; a streamed one may send nothing ' +
          'this long. Otherwise 408 request_timeout, its upstream request aborted and the pool slot freed. Never 0',
        '30s'
      )
    ),
    requestTimeout: Type.Optional(
      doc(
        Duration,
        'The whole request (headers and body) must arrive within this. Never 0: one slow ' +
          'client could hold a connection and an upstream slot forever. Read at start only',
        '300s'
      )
    ),
    sendTimeout: Type.Optional(
      doc(
        Duration,
        'A client that reads nothing of its answer this long is cut (its connection closed, its upstream request aborted); while ' +
          "an answer larger than buffer.response keeps the upstream waiting on it, no longer than the upstream's timeout. Never 0",
        '60s'
      )
    ),
    buffer: Type.Optional(
      strict(
        {
          requestBody: Type.Optional(
            doc(
              Size,
              'Request bodies up to this size are read whole, within bodyTimeout, before their request takes an upstream connection; ' +
                "larger ones stream (each pause bounded by bodyTimeout, the whole upload by the upstream's timeout). 0: every body streams",
              '1MiB'
            )
          ),
          response: Type.Optional(
            doc(
              Size,
              'How much of an answer the gateway holds for a client slower than its upstream, so the upstream connection is ' +
                'released; a larger answer streams with backpressure. sendTimeout cuts a client that stops reading either way',
              '1MiB'
            )
          ),
          total: Type.Optional(
            doc(
              Size,
              'The most bytes this process holds for slow clients, request bodies and answers together; with it spent, a request body that ' +
                'would be read whole is answered 503 overloaded and answers stream with backpressure. At least requestBody and response',
              '256MiB'
            )
          )
        },
        "Buffers that keep slow clients from holding upstream connections, as nginx's do"
      )
    ),
    drainTimeout: Type.Optional(
      doc(
        Duration,
        'On SIGTERM/SIGINT, how long in-flight requests (and open WebSockets) get to finish before ' +
          'what is left is closed (WebSockets with 1001) and the process exits. Read at start only',
        '30s'
      )
    ),
    routing: Type.Optional(
      strict(
        {
          caseSensitive: Type.Optional(
            Type.Boolean({
              description:
                'false: /API/x is matched as /api/x, as case-insensitive upstreams read it. Set true only when every upstream matches paths case-sensitively',
              default: false
            })
          ),
          ignoreTrailingSlash: Type.Optional(Type.Boolean({ description: 'true: /a/b/ is matched as /a/b', default: true })),
          allowSemicolons: Type.Optional(
            Type.Boolean({
              description:
                'false: a path with a ; parameter is 400 ambiguous_path; true: each segment is matched ' +
                  'without its ;... part (matrix parameters, ;jsessionid=) and the path is forwarded as sent',
              default: false
            })
          ),
          maxParamLength: Type.Optional(
            Type.Integer({
              minimum: 1,
              description:
                'Longest value of a :parameter segment; a request whose matched route has a longer one is 414 uri_too_long, never matched by another route',
              default: 1000
            })
          )
        },
        "How request paths are matched to routes: never weaker than the upstream's own matching"
      )
    ),
    logLevel: Type.Optional(
      doc(
        Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l))),
        'The pino log level. Read at start only',
        'info'
      )
    ),
    watch: Type.Optional(Type.Boolean({ description: 'Reload the config when the file changes, as SIGHUP does. Read at start only', default: false })),
    cors: Type.Optional(doc(Cors, "The CORS of every route without a cors key of its own (methods default to each route's)")),
    tls: Type.Optional(
      strict(
        {
          cert: Type.String({ description: 'PEM certificate file (chain included) the listener serves' }),
          key: Type.String({ description: 'PEM private key file of the certificate' }),
          clientCa: Type.Optional(
            Type.String({
              description:
                'PEM file of the CA that issues client certificates: the handshake then ' +
                  'asks for one (without requiring it), and mtls authenticators can check it'
            })
          )
        },
        'Serve HTTPS on the public listener; the files are re-read on reload'
      )
    )
  },
  'The listeners, limits and process settings'
)

const RedisNode = strict({
  host: Type.String({ description: 'Host name or address' }),
  port: Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port' })
})
const Cache = strict(
  {
    redis: Type.Optional(
      Type.Union(
        [
          Type.String({ description: 'redis:// or rediss:// URL; empty for none' }),
          strict({
            cluster: Type.Array(Type.Union([Type.String(), RedisNode]), { minItems: 1, description: 'Redis Cluster seed nodes: "host:port" or { host, port }' })
          }),
          strict({
            sentinels: Type.Array(RedisNode, { minItems: 1, description: 'The Sentinel nodes' }),
            name: Type.String({ description: 'The name of the monitored master' }),
            password: Type.Optional(Type.String({ description: 'The password of the Redis master and replicas' }))
          })
        ],
        {
          description:
            'Redis shared by every instance for the credential cache, rate-limit counters, revocations and purges: a redis:// or rediss:// URL, { ' +
              'cluster: [...] } or { sentinels: [...], name, password }. Empty or absent: the local tier alone, and each instance counts on its own'
        }
      )
    ),
    integrityKey: Type.Optional(
      Type.String({
        description:
          'HMAC key (32 characters or more, the same on every instance, e.g. ${GATEHOUSE_CACHE_KEY}) over every value the gateway ' +
            'keeps in Redis: a value it did not write under that very key is ignored, counted and logged, so write access to Redis ' +
            'does not mint identities. Empty or absent with redis set: values are not authenticated and the gateway warns at start'
      })
    ),
    local: Type.Optional(
      strict(
        {
          maxEntries: Type.Optional(Type.Integer({ minimum: 1, description: 'Most entries the in-process tier holds', default: 100000 })),
          maxSize: Type.Optional(
            Type.Union([Type.Integer({ minimum: 65536 }), Size.anyOf[1]], {
              description:
                'Most bytes the in-process tier holds (at least 64KiB), each entry counted as an estimate of its key and value on the heap ' +
                  '(about 450 bytes for a principal); the least recently used go first, and an entry over a sixteenth of it is not kept locally',
              default: '16MiB'
            })
          )
        },
        'The in-process tier every instance keeps in front of Redis'
      )
    )
  },
  'The two-tier cache of what the gateway learns about credentials'
)

const Identity = strict({
  headers: Type.Optional(strict({
    user: Type.Optional(doc(HeaderName, 'Header with the user id', 'Remote-User')),
    client: Type.Optional(doc(HeaderName, 'Header with the client id', 'Remote-Client')),
    scopes: Type.Optional(doc(HeaderName, 'Header with the user\'s scopes (or, with no user, the client\'s), space-separated', 'Remote-Scopes')),
    auth: Type.Optional(doc(HeaderName, 'Header with the names of the authenticators that succeeded, comma-separated', 'Remote-Auth'))
  }, 'Names of the identity headers the upstream receives')),
  claims: Type.Optional(Type.Record(Type.String(), doc(HeaderName, 'The header the claim is sent in'), {
    description: 'User claim to header, e.g. { email: Remote-Email, groups: Remote-Groups }; arrays are joined with ","'
  })),
  strip: Type.Optional(doc(Type.Array(HeaderGlob), 'Header globs removed from every incoming request, on every route', ['Remote-*'])),
  stripOverrides: Type.Optional(doc(Type.Array(OverrideName),
    'Headers, and query parameters written ?name, that let a client steer an upstream past a per-method or per-path policy (method overrides, ' +
    'IIS and Symfony original-URL headers, the _method parameter of Rails, Laravel and Symfony); removed from every request, a parameter under ' +
    'any spelling PHP or Rack reads as its name (_METHOD, .method, _method[], %5Fmethod). [] forwards them',
    ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override', 'X-Original-URL', 'X-Rewrite-URL', '?_method'])),
  assertion: Type.Optional(strict({
    header: Type.Optional(doc(HeaderName, 'The header the signed identity is sent in', 'Remote-Identity')),
    ttl: Type.Optional(doc(Duration, 'Lifetime of an assertion (never past the user token\'s own exp)', '60s'))
  }, 'Also send a gateway-signed JWT of the identity on every proxied request, for upstreams the network alone cannot protect'))
}, 'What upstreams are told about the caller')

const Tokens = strict(
  {
    issuer: Type.Optional(
      Type.String({
        description:
          'The iss of issued client tokens and identity assertions; what clientToken accepts. Default: http://<listen host>:<port> (localhost for 0.0.0.0)'
      })
    ),
    ttl: Type.Optional(doc(Duration, 'Lifetime of a client token (expires_in)', '15m')),
    signingKeys: Type.Optional(
      Type.String({
        description:
          'JWKS file of private keys with a kid each (OKP/Ed25519, EC P-256/384/521, RSA); the first signs, every key verifies. ' +
            'Empty or absent: an ephemeral key and a warning (tokens do not survive a restart and other instances refuse them)'
      })
    )
  },
  "The gateway's own token service (POST /oauth/token) and signing keys"
)

const Client = strict(
  {
    id: doc(Name, 'The client id: Remote-Client, the client_id at the token endpoint'),
    name: Type.Optional(Type.String({ description: 'A label. Default: the id' })),
    secretHash: Type.Optional(
      Type.String({
        pattern: '^scrypt\\$',
        description:
          'scrypt hash of the client secret (`gatehouse clients new` or `gatehouse hash-secret` prints it); without it the client cannot get client tokens'
      })
    ),
    apiKeys: Type.Optional(
      Type.Array(
        strict({
          hash: Type.String({
            pattern: '^sha256:[0-9a-f]{64}$',
            title: 'sha256: and 64 lowercase hex digits',
            description: "The key's hash, sha256: and 64 lowercase hex digits (`gatehouse keys new` prints a key and its hash)"
          }),
          expires: Type.Optional(doc(DateString, 'After this the key is refused'))
        }),
        { description: "The client's API keys, stored only as hashes", default: [] }
      )
    ),
    scopes: Type.Optional(doc(Type.Array(Scope), 'What its API keys and certificate hold, and the most its client tokens may carry', [])),
    userTokenClients: Type.Optional(
      Type.Array(Type.String(), { description: 'The azp / client_id values of user tokens that belong to this app (bindUserToClient)', default: [] })
    ),
    rateLimit: Type.Optional(doc(RateLimit, "This client's tier: replaces max and window on every route that has a rateLimit")),
    certificate: Type.Optional(
      strict(
        {
          subject: Type.Optional(
            Type.String({
              description: "Comma-separated ATTR=value list; each must equal the certificate's subject attribute (attributes not listed are not compared)"
            })
          ),
          fingerprint: Type.Optional(
            Type.String({
              pattern: '^sha256:[0-9a-fA-F:]+$',
              description: 'The certificate\'s SHA-256 fingerprint (case and ":" separators do not matter); checked before subject'
            })
          )
        },
        'The TLS client certificate that proves this client (mtls)'
      )
    ),
    expires: Type.Optional(doc(DateString, 'After this every credential of the client is refused, client tokens already issued included')),
    disabled: Type.Optional(
      Type.Boolean({ description: 'true: every credential of the client is refused (401), client tokens already issued included', default: false })
    )
  },
  'A calling app'
)

const AuthType = <T extends string>(type: T): TLiteral<T> => Type.Literal(type, { description: 'The authenticator type' })
const ApiKeyAuth = strict(
  {
    type: AuthType('apiKey'),
    header: Type.Optional(doc(HeaderName, 'The header the key is read from', 'X-API-Key')),
    query: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9._~-]+$',
        description: 'Also read the key from this query parameter (removed from the query string before forwarding). Default: none'
      })
    )
  },
  "A client's API key, looked up by its sha256 hash under clients[].apiKeys"
)
const ClientTokenAuth = strict(
  {
    type: AuthType('clientToken'),
    header: Type.Optional(doc(HeaderName, 'The header the token is read from', 'X-Client-Token')),
    bearer: Type.Optional(
      Type.Boolean({
        description: "Also read Authorization: Bearer; a bearer token whose iss is not tokens.issuer is left to the route's next authenticator",
        default: false
      })
    )
  },
  "A client token issued by the gateway's own POST /oauth/token, checked locally"
)
const MtlsAuth = strict({ type: AuthType('mtls') }, 'The TLS client certificate, mapped to a client by clients[].certificate (needs server.tls.clientCa)')
const JwtAuth = strict(
  {
    type: AuthType('jwt'),
    issuer: Type.String({
      description:
        "The only iss it accepts, compared exactly. A token with another iss is left to the route's next authenticator. With " +
          "no jwksUri, publicKey or secret, the JWKS is found from this issuer's metadata (/.well-known/openid-configuration, " +
          'else /.well-known/oauth-authorization-server), which must name exactly this issuer'
    }),
    audience: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.Literal(false)], {
      description: "The token's aud must contain one of these; false accepts any audience (say so on purpose: tokens the IdP issued for other APIs then pass)"
    }),
    jwksUri: Type.Optional(
      Type.String({ description: "http(s):// URL of the IdP's JWK Set. Give at most one of jwksUri, publicKey, secret; none: the issuer metadata's jwks_uri" })
    ),
    publicKey: Type.Optional(
      Type.String({
        description: 'A PEM public key or certificate, one JWK, or a JWK Set, as a file path or inline; a private key is refused, a set is matched by kid'
      })
    ),
    secret: Type.Optional(Type.String({ description: 'Shared HMAC secret (HS256/384/512), at least 32 bytes' })),
    algorithms: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'Allow-list of alg. none is never accepted; HS* only with secret, asymmetric ones only ' +
            'without it. Default: by key kind (RS*, PS*, ES*, EdDSA, Ed25519 for keys; HS* for secret)'
      })
    ),
    userClaim: Type.Optional(Type.String({ description: 'Claim that becomes the user id (Remote-User); a token without it is refused', default: 'sub' })),
    scopeClaim: Type.Optional(Type.String({ description: 'Claim with the scopes, a space-separated string or a list. Default: scope, then scp' })),
    clockTolerance: Type.Optional(doc(Duration, 'Leeway for exp, nbf and iat', '0s')),
    requiredClaims: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
        description: 'Claims that must be present with exactly this value, e.g. { token_type: access }'
      })
    ),
    maxTokenSize: Type.Optional(doc(Size, 'Longer tokens are refused before any parsing', '8KiB')),
    jwksCooldown: Type.Optional(doc(Duration, 'Least time between two JWKS fetches caused by unknown kids', '30s')),
    timeout: Type.Optional(doc(Duration, 'JWKS fetch timeout', '5s')),
    webSocket: Type.Optional(
      strict(
        {
          protocol: Type.Optional(
            Type.String({
              pattern: "^[A-Za-z0-9!#$%&'*+.^`|~-]+$",
              description: 'A Sec-WebSocket-Protocol entry of this prefix carries the token: bearer. reads bearer.<token>'
            })
          ),
          query: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._~-]+$', description: 'A query parameter of this name carries the token' }))
        },
        'On a WebSocket upgrade only (a browser cannot set Authorization there), where else the token may come from; removed before forwarding'
      )
    )
  },
  "A user's JWT from an identity provider (Authorization: Bearer), verified locally"
)
const IntrospectionAuth = strict(
  {
    type: AuthType('introspection'),
    endpoint: Type.Optional(Type.String({ description: 'The introspection URL (http:// or https://); or give issuer instead' })),
    issuer: Type.Optional(
      Type.String({
        description:
          "The authorization server's issuer: its introspection_endpoint is found from its metadata (/.well-known/openid-configuration, " +
            'else /.well-known/oauth-authorization-server), which must name exactly this issuer. One of endpoint or issuer'
      })
    ),
    clientId: Type.String({ description: "The gateway's client id at the authorization server" }),
    clientSecret: Type.String({ description: "The gateway's client secret at the authorization server" }),
    clientAuth: Type.Optional(
      doc(Type.Union([Type.Literal('basic'), Type.Literal('post')]), 'basic: HTTP Basic; post: client_id and client_secret form fields', 'basic')
    ),
    userClaim: Type.Optional(Type.String({ description: 'Response field that names the user (Remote-User)', default: 'sub' })),
    scopeClaim: Type.Optional(Type.String({ description: 'Response field with the space-separated scopes', default: 'scope' })),
    cacheTtl: Type.Optional(doc(Duration, 'How long an active result is reused: min(exp - now, cacheTtl)', '60s')),
    negativeCacheTtl: Type.Optional(doc(Duration, 'How long an inactive result is reused', '5s')),
    timeout: Type.Optional(doc(Duration, 'The whole introspection call; slower is 503 auth_unavailable', '2s')),
    maxInFlight: Type.Optional(
      doc(Type.Integer({ minimum: 1 }), 'Introspection calls open at once, per instance; a token needing one more is 503 auth_unavailable with Retry-After', 64)
    )
  },
  "A user's opaque token (Authorization: Bearer), checked by RFC 7662 introspection"
)
const BasicAuth = strict({
  type: AuthType('basic'),
  usersFile: Type.String({ description: 'The users file (name:hash[:claims] per line), read at load and reread on reload; relative to the config file' })
}, 'HTTP Basic against a users file: testing only')
const UrlPath = Type.String({ pattern: '^/[A-Za-z0-9._~/-]*$', title: 'A path of this gateway: /oauth2/callback' })
const OidcAuth = strict(
  {
    type: AuthType('oidc'),
    issuer: Type.String({
      pattern: '^https?://',
      description: 'The OpenID Provider; its /.well-known/openid-configuration gives every endpoint, and must name exactly this issuer'
    }),
    clientId: Type.String({ minLength: 1, description: "This gateway's client id at the provider" }),
    clientSecret: Type.Optional(Type.String({ description: 'The client secret (client_secret_basic at the token endpoint); or privateKey' })),
    privateKey: Type.Optional(
      Type.String({
        description:
          'A private JWK (JSON) or PKCS#8 PEM, inline or a file relative to the config: private_key_jwt client authentication instead of clientSecret'
      })
    ),
    scopes: Type.Optional(Type.Array(Scope, { description: 'Scopes asked for at login; must include openid', default: ['openid', 'profile', 'email'] })),
    redirectPath: Type.Optional(
      doc(UrlPath, 'Where the provider sends the browser back (register <origin><redirectPath> at the provider)', '/oauth2/callback')
    ),
    logoutPath: Type.Optional(doc(UrlPath, 'POST here ends the session (here, in Redis, and at the provider)', '/oauth2/logout')),
    postLogoutRedirect: Type.Optional(
      doc(UrlPath, 'The page of this gateway the browser lands on after logout (register <origin><path> as a post-logout redirect URI at the provider)', '/')
    ),
    userClaim: Type.Optional(Type.String({ description: 'The claim (ID token or userinfo) that names the user (Remote-User)', default: 'sub' })),
    clockTolerance: Type.Optional(doc(Duration, 'Leeway for exp, iat and nbf of the ID token', '30s')),
    timeout: Type.Optional(doc(Duration, 'How long a call to the provider may take; slower is 503 auth_unavailable', '5s')),
    discoveryRefresh: Type.Optional(doc(Duration, 'How often the discovery document is fetched again (in the background)', '1h')),
    session: Type.Optional(
      strict(
        {
          key: Type.Optional(
            Type.String({
              description:
                'Encrypts sessions (AES-256-GCM) and login state; the same on every instance, at least 32 characters (e.g. ${GATEHOUSE_SESSION_KEY}). ' +
                  'Default: cache.integrityKey; without either, and without Redis, a key made at start (sessions end with the process)'
            })
          ),
          cookie: Type.Optional(
            Type.String({
              pattern: '^[A-Za-z0-9_-]+$',
              description: 'The cookie name; __Host- is prefixed when the request came over TLS',
              default: 'gatehouse-session'
            })
          ),
          idleTimeout: Type.Optional(doc(Duration, 'A session not used for this long ends', '30m')),
          absoluteTimeout: Type.Optional(doc(Duration, 'A session ends this long after login, refreshed or not', '12h'))
        },
        'The server-side session behind the cookie: in Redis (cache.redis), else in the local tier'
      )
    )
  },
  'Browser login with OpenID Connect (authorization code + PKCE) and a server-side session behind a cookie'
)
const UserTokenAuth = strict(
  {
    type: AuthType('userToken'),
    scheme: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9!#$%&'*+.^`|~-]+$",
        default: 'Token',
        description:
          "The Authorization scheme the token comes with, matched case-insensitively: Token reads Authorization: Token <key>, as DRF's TokenAuthentication"
      })
    ),
    header: Type.Optional(
      doc(HeaderName, 'Where the token comes from; a header other than Authorization (X-User-Token) carries the bare token, without a scheme', 'Authorization')
    ),
    tokens: Type.Optional(
      Type.Array(
        strict(
          {
            hash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256: and 64 lowercase hex digits of the token' }),
            user: Type.String({ minLength: 1, description: 'The user the token speaks for (Remote-User)' }),
            scopes: Type.Optional(Type.Array(Scope, { description: 'What the token may do. Default: no scopes' })),
            client: Type.Optional(
              doc(Name, 'The gatehouse client the token belongs to: on a bindUserToClient route it is accepted only with that client. Default: none')
            ),
            expires: Type.Optional(doc(DateString, 'When the token stops working. Default: never'))
          },
          'A token, by hash'
        ),
        { description: 'Tokens listed here by hash, for small setups; checked before the Redis store (cache.redis). Default: none' }
      )
    )
  },
  "A user API token (Authorization: Token <key>, as DRF's TokenAuthentication), found " +
    'by its sha256 among tokens: and in the Redis store that `gatehouse tokens` fills'
)

/** Each authenticator type, by its `type`: the loader validates an entry against its own. */
export const AUTHENTICATOR_SCHEMAS = {
  apiKey: ApiKeyAuth,
  clientToken: ClientTokenAuth,
  mtls: MtlsAuth,
  jwt: JwtAuth,
  introspection: IntrospectionAuth,
  basic: BasicAuth,
  oidc: OidcAuth,
  userToken: UserTokenAuth
} as const satisfies { [T in AuthenticatorType]: TSchema }
export const AuthenticatorSpec = Type.Union(Object.values(AUTHENTICATOR_SCHEMAS) as TSchema[])

const UpstreamUrl = Type.String({ pattern: '^https?://', title: 'an http:// or https:// URL' })
const Upstream = strict(
  {
    url: Type.Optional(
      doc(
        UpstreamUrl,
        'http:// or https:// URL, optionally with a path prefix (http://orders:8000/v1) the ' +
          'request path is appended to; TLS certificates are verified. One of url or targets'
      )
    ),
    targets: Type.Optional(
      doc(
        Type.Array(UpstreamUrl, { minItems: 1 }),
        'Several URLs of one service (same path prefix), load balanced; a target that ' +
          'fails is taken out for a while (passiveHealth, healthCheck). One of url or targets'
      )
    ),
    balance: Type.Optional(
      doc(
        Type.Union([Type.Literal('round-robin'), Type.Literal('least-pending')]),
        'How targets are chosen: in turn, or the one with the fewest requests in flight (ties in turn)',
        'round-robin'
      )
    ),
    passiveHealth: Type.Optional(
      strict(
        {
          failures: Type.Optional(
            Type.Integer({ minimum: 1, default: 3, description: 'Failures in a row (connection refused or timed out, 502, 503, 504) that take a target out' })
          ),
          cooldown: Type.Optional(doc(Duration, 'How long it stays out; then one request proves it (a failure takes it out again)', '10s'))
        },
        'When a target is taken out by what requests meet'
      )
    ),
    healthCheck: Type.Optional(
      strict(
        {
          path: Type.String({
            pattern: '^/',
            description:
              'The path GET on each target (after the base path); a 2xx or 3xx within timeout is healthy, anything else takes it out until a check passes'
          }),
          interval: Type.Optional(doc(Duration, 'Time between checks of a target', '5s')),
          timeout: Type.Optional(doc(Duration, 'How long a check may take', '1s'))
        },
        'Active health checks, besides the passive ones'
      )
    ),
    retries: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10,
        default: 1,
        description: 'How many other targets an idempotent request without a body is tried on after a failure retryOn names, within timeout'
      })
    ),
    retryOn: Type.Optional(
      doc(
        Type.Array(Type.Union([Type.Literal('connect-failure'), Type.Literal('empty-response')])),
        'Which failures of an idempotent request without a body are tried again on another target: connect-failure (no connection made: the target never ' +
          'saw the request), empty-response (the connection closed before any byte of an answer, as when a target dies with the request in flight or drops ' +
          'an idle keep-alive connection as it is reused: the target may have seen the request, so it may be handled twice)',
        ['connect-failure']
      )
    ),
    timeout: Type.Optional(doc(Duration, 'Longest wait for the response headers and between body chunks; past it the client gets 504 upstream_timeout', '30s')),
    connections: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 4096, description: "Most sockets in this upstream's keep-alive connection pool", default: 128 })
    )
  },
  'A service requests are proxied to'
)

const ClaimValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()])
const Route = strict(
  {
    match: Type.String({
      pattern: '^/',
      title: '/api/orders/:id (one segment) or /api/orders/* (the prefix and below)',
      description:
        'The path pattern: /api/orders/:id (one segment) or /api/orders/* (the prefix and below). The most specific wins: static segments over :params over *'
    }),
    methods: Type.Optional(
      Type.Array(Method, {
        minItems: 1,
        description: 'The methods the route serves (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS). Default: all, or those a per-method policy names'
      })
    ),
    upstream: doc(Name, 'The upstream (a name under upstreams) requests go to'),
    policy: doc(PolicySpec, 'public, client, user or client+user, or a map of method (or "*") to one of them'),
    client: Type.Optional(doc(Type.Array(Name), 'Client authenticators, tried in order', [])),
    user: Type.Optional(doc(Type.Array(Name), 'User authenticators, tried in order', [])),
    scopes: Type.Optional(
      doc(Type.Array(Scope), 'Scopes that must all be held: by the user when the request carries one, else by the client; else 403 insufficient_scope')
    ),
    require: Type.Optional(
      strict(
        {
          claims: Type.Record(Type.String(), Type.Union([ClaimValue, Type.Array(ClaimValue)]), {
            description:
              'Each listed user claim must equal the value, or one of a list (an array claim matches when ' +
                'it contains one); strict comparison; a missing claim never matches. Else 403 forbidden'
          })
        },
        'Conditions on the user'
      )
    ),
    clients: Type.Optional(doc(Type.Array(Name), 'Only these client ids (declared under clients) may use the route; else 403 forbidden')),
    bindUserToClient: Type.Optional(
      Type.Boolean({
        description:
          "The user token's azp (or client_id) must be one of the authenticated client's " +
            'userTokenClients; else 403 client_mismatch. Needs client and user authenticators',
        default: false
      })
    ),
    rateLimit: Type.Optional(doc(RouteRateLimit, 'Limit requests on this route, per key: over it is 429 rate_limited')),
    forwardCredentials: Type.Optional(
      Type.Boolean({ description: 'true: send the consumed credentials (API key, client token, the Authorization verified) upstream too', default: false })
    ),
    csrf: Type.Optional(
      Type.Union([Type.Literal('lax'), Type.Literal('strict')], {
        description:
          'Cross-site checks on requests a browser session authenticates. lax: state-changing methods and WebSocket upgrades must be ' +
            'same-origin (403 csrf_failed), a GET or HEAD from another site (a link) passes. strict: a GET or HEAD from another origin ' +
            '(Sec-Fetch-Site same-site or cross-site, else a foreign Origin or Referer) is refused too, for routes whose GETs change state',
        default: 'lax'
      })
    ),
    websocket: Type.Optional(
      Type.Union(
        [
          Type.Boolean(),
          strict({
            maxPayload: Type.Optional(doc(Size, 'The largest message either side may send; larger closes with 1009', '1MiB')),
            idleTimeout: Type.Optional(doc(Duration, 'No frame either way this long closes with 1001. Default: none')),
            closeOnExpiry: Type.Optional(
              Type.Boolean({ description: 'Close with 1008 when the user token that opened the connection expires (its exp)', default: false })
            )
          })
        ],
        { description: 'Carry WebSocket upgrades on this route (true takes every default): the upgrade runs the whole pipeline first', default: false }
      )
    ),
    cors: Type.Optional(Type.Union([Type.Literal(false), Cors], { description: "This route's CORS (see server.cors); false: none, even with a server.cors" })),
    rewrite: Type.Optional(
      Type.Union(
        [
          strict({
            stripPrefix: Type.String({
              pattern: '^/',
              description: 'Remove this static prefix of the match (/api of /api/orders/*): /api/orders/7 goes up as /orders/7'
            })
          }),
          strict({
            to: Type.String({ pattern: '^/', description: 'The upstream pattern, with the same :params and * as the match: /api/v1/users/:id to /users/:id' })
          })
        ],
        {
          description:
            "The path the upstream gets (after the upstream URL's base path), made from " +
              'the path judged, after the decision: it never changes which route decides'
        }
      )
    )
  },
  'Which requests are proxied where, and who may make them'
)

const Telemetry = strict(
  {
    otlp: Type.Optional(
      strict(
        {
          endpoint: Type.String({
            description:
              'The OTLP/HTTP collector (http://collector:4318): spans are POSTed to its /v1/traces, as JSON. Empty: no spans (traceparent is still passed on)'
          }),
          headers: Type.Optional(
            Type.Record(Type.String(), Type.String(), { description: "Headers sent with every export, e.g. a vendor's API key as ${OTLP_TOKEN}" })
          ),
          serviceName: Type.Optional(Type.String({ minLength: 1, default: 'gatehouse', description: 'The service.name the spans carry' })),
          sampleRatio: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: 1,
              default: 1,
              description: "Share of the traces the gateway starts that are recorded; a caller's sampled flag is always followed"
            })
          ),
          exportInterval: Type.Optional(
            Type.String({ pattern: Duration.pattern, default: '5s', description: 'How often buffered spans are sent (a duration)' })
          )
        },
        'OpenTelemetry traces over OTLP/HTTP: a span per request, authenticator, introspection, JWKS and discovery call, Redis command and upstream call'
      )
    )
  },
  'Tracing; W3C traceparent and tracestate are passed on to upstreams whether or not spans are exported'
)

export const ConfigSchema = Type.Object({
  $schema: Type.Optional(Type.String({ description: 'The JSON Schema of this file, for editors; ignored by the gateway' })),
  server: Type.Optional(Server),
  cache: Type.Optional(Cache),
  identity: Type.Optional(Identity),
  tokens: Type.Optional(Tokens),
  telemetry: Type.Optional(Telemetry),
  clients: Type.Optional(Type.Array(Client, { description: 'The calling apps and their credentials' })),
  authenticators: Type.Optional(Type.Record(Name, AuthenticatorSpec, { description: 'Name to authenticator; routes list them by name' })),
  upstreams: Type.Record(Name, Upstream, { description: 'Name to upstream service' }),
  routes: Type.Array(Route, { description: 'The routes; a path (or method) no route declares is 404' })
}, { additionalProperties: false, title: 'gatehouse gateway config' })

export type RawAuthenticatorAny = { [T in AuthenticatorType]: Static<typeof AUTHENTICATOR_SCHEMAS[T]> }[AuthenticatorType]
export type RawConfig = Omit<Static<typeof ConfigSchema>, 'authenticators'> & { authenticators?: Record<string, RawAuthenticatorAny> }
export type RawClient = Static<typeof Client>
export type RawRoute = Static<typeof Route>
export type RawUpstream = Static<typeof Upstream>
export type RawAuthenticator<T extends AuthenticatorType = AuthenticatorType> = Static<typeof AUTHENTICATOR_SCHEMAS[T]>
export type RawIdentity = Static<typeof Identity>
