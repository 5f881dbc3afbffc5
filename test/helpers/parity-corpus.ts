import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import fc from 'fast-check'
import { WebSocketServer } from 'ws'
import { KEYS, keyHash } from './gateway.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { AS_CLIENTS } from './oauth-server.js'
import { ISSUER as JWT_ISSUER, AUDIENCE as JWT_AUDIENCE } from './jwt.js'
import { SESSION_KEY, WEB_CLIENT } from './oidc-provider.js'
import { RawConnection, type RawMessage } from './raw-http.js'

interface Teardown { teardown (fn: () => unknown): void }

/**
 * The parity corpus: a config with every policy and authenticator kind, requests generated
 * over it (fast-check, fixed seed) with the path, header and upgrade variants the gateway and
 * `gatehouse explain` have disagreed on, the wire to send them on, and an upstream that
 * reports what each one received.
 */

export const TOKEN_ISSUER = 'https://gatehouse.parity'
export const DRF_TOKEN = '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b'
export const CLIENT_SECRET = 'ghs_parity-android-secret-000000000000000000'
const LOW_COST = { N: 1024, r: 8, p: 1 }
/** RFC 6455's sample key: a well-formed Sec-WebSocket-Key. */
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

export interface ConfigParts {
  port: number
  tls: { cert: string, key: string, clientCa: string } | undefined
  redis: string
  upstream: string
  jwksUri: string
  introspectionEndpoint: string
  oidcIssuer: string
  certificateSubject: string
}

/**
 * Both gateways' config: the TLS one adds server.tls and the mtls authenticator, nothing else
 * differs. The calls to the JWKS, introspection and OpenID servers get a minute: on a machine
 * busy with other tests a 503 auth_unavailable is about time, not about the decision.
 */
export async function parityConfig (p: ConfigParts): Promise<string> {
  const clientAuth = p.tls === undefined ? '[appKey, appToken]' : '[appCert, appKey, appToken]'
  return `server:
  listen: 127.0.0.1:${p.port}
  admin: false
  logLevel: warn
  trustProxy: [127.0.0.1]
${p.tls === undefined ? '' : `  tls: { cert: ${p.tls.cert}, key: ${p.tls.key}, clientCa: ${p.tls.clientCa} }\n`}cache:
  redis: "${p.redis}"
tokens:
  issuer: ${TOKEN_ISSUER}
  signingKeys: keys.json
clients:
  - id: android
    apiKeys: [{ hash: "${keyHash(KEYS.android)}", expires: 2999-12-31 }]
    secretHash: "${await hashSecret(CLIENT_SECRET, LOW_COST)}"
    scopes: [orders:read]
    certificate: { subject: "${p.certificateSubject}" }
  - id: ios
    apiKeys: [{ hash: "${keyHash(KEYS.ios)}" }]
  - id: old-partner
    apiKeys: [{ hash: "${keyHash(KEYS.expired)}", expires: 2020-01-01 }]
  - id: banned
    apiKeys: [{ hash: "${keyHash(KEYS.disabled)}" }]
    disabled: true
authenticators:
  appKey: { type: apiKey, header: X-API-Key, query: api_key }
  appToken: { type: clientToken, header: X-Client-Token }
${p.tls === undefined ? '' : '  appCert: { type: mtls }\n'}  idp:
    type: jwt
    issuer: "${JWT_ISSUER}"
    audience: ${JWT_AUDIENCE}
    jwksUri: "${p.jwksUri}"
    timeout: 60s
  oauth:
    type: introspection
    endpoint: "${p.introspectionEndpoint}"
    clientId: ${AS_CLIENTS.basic.id}
    clientSecret: ${AS_CLIENTS.basic.secret}
    timeout: 60s
  drf:
    type: userToken
    tokens: [{ hash: "sha256:${createHash('sha256').update(DRF_TOKEN).digest('hex')}", user: dora, scopes: [orders:read] }]
  people: { type: basic, usersFile: users.txt }
  browser:
    type: oidc
    issuer: "${p.oidcIssuer}"
    clientId: ${WEB_CLIENT.id}
    clientSecret: ${WEB_CLIENT.secret}
    userClaim: preferred_username
    session: { key: "${SESSION_KEY}" }
    timeout: 60s
identity:
  claims: { email: Remote-Email }
upstreams:
  echo: { url: "${p.upstream}" }
routes:
  - match: /pub/*
    upstream: echo
    policy: public
    client: ${clientAuth}
    user: [idp]
  - match: /cli/:id
    upstream: echo
    policy: client
    client: ${clientAuth}
  - match: /usr/*
    upstream: echo
    policy: user
    user: [idp, oauth, drf, people]
  - match: /both/*
    upstream: echo
    policy: client+user
    client: ${clientAuth}
    user: [idp, oauth, drf]
    scopes: [orders:read]
  - match: /mixed/*
    upstream: echo
    policy: { GET: public, HEAD: public, "*": user }
    user: [idp, browser]
  - match: /app/*
    upstream: echo
    policy: user
    user: [browser]
    websocket: true
  - match: /ws/*
    upstream: echo
    policy: public
    websocket: true
  - match: /api/admin/*
    upstream: echo
    policy: user
    user: [idp, people]
    require: { claims: { role: admin } }
  - match: /api/*
    upstream: echo
    policy: public
`
}

// ---------------------------------------------------------------------------------------------
// The upstream: HTTP and WebSocket, recording what each case sent it by its X-Case-Id.

export interface Received { method: string, url: string, headers: Array<[string, string]> }

export interface RecordingUpstream {
  url: string
  received: Map<string, Received>
}

export async function startRecordingUpstream (t: Teardown): Promise<RecordingUpstream> {
  const received = new Map<string, Received>()
  const record = (req: IncomingMessage): void => {
    const headers: Array<[string, string]> = []
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([(req.rawHeaders[i] as string).toLowerCase(), req.rawHeaders[i + 1] as string])
    const id = req.headers['x-case-id']
    if (typeof id === 'string') received.set(id, { method: req.method ?? '', url: req.url ?? '', headers })
  }
  const server = createServer((req, res) => {
    record(req)
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'))
  })
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    record(req)
    socket.on('error', () => {})
    wss.handleUpgrade(req, socket, head, ws => { ws.on('error', () => {}); ws.terminate() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => {
    for (const ws of wss.clients) ws.terminate()
    wss.close()
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

// ---------------------------------------------------------------------------------------------
// The corpus.

export type CertName = 'android' | 'stranger' | 'rogue'

export interface ParityCase {
  id: string
  /** What the case exercises, for the spread report: `route:usr`, `user:jwt`, `upgrade:ws-no-key`… */
  kinds: string[]
  tls: boolean
  cert: CertName | undefined
  method: string
  target: string
  /** In the order sent, repeats kept: exactly what the wire and explain get. */
  headers: Array<[string, string]>
  body: string
}

/** The credentials the corpus draws from, made once the servers are up. */
export interface Credentials {
  jwt: { valid: string, noScope: string, admin: string, expired: string, forged: string, otherAudience: string }
  opaque: { valid: string, noScope: string }
  clientToken: string
  sid: string
}

/** Where each kind of route lives: the route's static prefix. */
const ROUTES = {
  pub: '/pub', cli: '/cli', usr: '/usr', both: '/both', mixed: '/mixed', app: '/app', ws: '/ws', admin: '/api/admin', api: '/api', none: '/nope'
} as const
type RouteKind = keyof typeof ROUTES

/** Each name as many times as its weight: what fc.constantFrom draws from. */
function weighted<T extends string> (weights: Record<T, number>): T[] {
  return (Object.entries(weights) as Array<[T, number]>).flatMap(([name, n]) => Array<T>(n).fill(name))
}

const PATH_VARIANTS = weighted({
  plain: 8,
  upper: 1,
  trailing: 1,
  double: 1,
  'leading-double': 1,
  dot: 1,
  dotdot: 1,
  'encoded-dot': 1,
  'slash-2f': 1,
  zz: 1,
  'dotdot-semi': 1,
  semi: 1,
  long: 1,
  'encoded-unreserved': 1,
  'empty-tail': 1
})
type PathVariant = typeof PATH_VARIANTS[number]

const CLIENT_CREDS = weighted({
  none: 2,
  key: 4,
  'key-query': 1,
  'key-bad': 1,
  'key-expired': 1,
  'key-disabled': 1,
  'key-twice': 1,
  token: 3,
  'token-bad': 1,
  cert: 3,
  'cert-stranger': 1,
  'cert-rogue': 1
})
const USER_CREDS = weighted({
  none: 2,
  jwt: 4,
  'jwt-noscope': 1,
  'jwt-admin': 1,
  'jwt-expired': 1,
  'jwt-forged': 1,
  'jwt-audience': 1,
  opaque: 3,
  'opaque-noscope': 1,
  'opaque-unknown': 1,
  drf: 3,
  'drf-bad': 1,
  'basic-alice': 1,
  'basic-bob': 1,
  'basic-wrong': 1,
  session: 4,
  'session-junk': 1,
  'session-other-name': 1,
  'bearer-empty': 1
})
type UserCred = typeof USER_CREDS[number]
const UPGRADES = weighted({ none: 10, ws: 3, 'ws-no-connection': 1, 'ws-no-key': 1, 'ws-bad-version': 1, 'ws-post': 1, h2c: 1 })
const ORIGINS = weighted({ none: 4, same: 2, cross: 1, null: 1, 'fetch-cross': 1, 'fetch-same': 1, 'referer-same': 1, 'referer-cross': 1 })
const AUTH_REPEATS = weighted({ once: 5, twice: 1, 'valid+junk': 1, 'junk+valid': 1 })
const METHODS = weighted({ GET: 3, HEAD: 1, POST: 2, PUT: 1, PATCH: 1, DELETE: 1, OPTIONS: 1 })
const SPECIAL = ['logout-post', 'logout-cross', 'logout-get', 'callback', 'callback-bad', 'token-endpoint', 'jwks'] as const

const generalCase = fc.record({
  tls: fc.boolean(),
  route: fc.constantFrom(...Object.keys(ROUTES) as RouteKind[]),
  body: fc.constantFrom('{}', '{}', '{}', 'not json'),
  variant: fc.constantFrom(...PATH_VARIANTS),
  tail: fc.constantFrom('x', '7', 'orders/7', 'Orders', 'a.json', 'deep/er/path'),
  query: fc.constantFrom('', '', '', '?q=1', '?a=%2F..', '?_method=DELETE', '?q=1&q=2'),
  method: fc.constantFrom(...METHODS),
  client: fc.constantFrom(...CLIENT_CREDS),
  user: fc.constantFrom(...USER_CREDS),
  authRepeat: fc.constantFrom(...AUTH_REPEATS),
  extraCookie: fc.constantFrom('none', 'none', 'same-line', 'second-line'),
  spoof: fc.constantFrom('none', 'none', 'remote-user', 'remote-client', 'remote_user'),
  page: fc.boolean(),
  origin: fc.constantFrom(...ORIGINS),
  upgrade: fc.constantFrom(...UPGRADES),
  forwardedProto: fc.constantFrom('none', 'none', 'none', 'https', 'http')
})

const specialCase = fc.record({
  tls: fc.boolean(), kind: fc.constantFrom(...SPECIAL), session: fc.constantFrom('none', 'junk'), origin: fc.constantFrom('same', 'none', 'cross')
})

function path (route: RouteKind, variant: PathVariant, tail: string): string {
  const prefix = ROUTES[route]
  // /cli/:id takes one segment: the first of the tail.
  const rest = route === 'cli' ? tail.split('/')[0] as string : tail
  switch (variant) {
    case 'plain': return `${prefix}/${rest}`
    case 'upper': return `${prefix.toUpperCase()}/${rest}`
    case 'trailing': return `${prefix}/${rest}/`
    case 'double': return `${prefix}//${rest}`
    case 'leading-double': return `/${prefix}/${rest}`
    case 'dot': return `${prefix}/./${rest}`
    case 'dotdot': return `${prefix}/x/../${rest}`
    case 'encoded-dot': return `${prefix}/%2e%2e/${rest}`
    case 'slash-2f': return `${prefix}/a%2F${rest}`
    case 'zz': return `${prefix}%zz/${rest}`
    case 'dotdot-semi': return `${prefix}/..;/${rest}`
    case 'semi': return `${prefix}/${rest};jsessionid=1`
    case 'long': return `${prefix}/${'p'.repeat(1100)}`
    case 'encoded-unreserved': return `${prefix.slice(0, 1)}%${prefix.charCodeAt(1).toString(16)}${prefix.slice(2)}/${rest}`
    case 'empty-tail': return `${prefix}/`
  }
}

function basicOf (user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

/** The Authorization value (or the cookie) a user credential is sent as. */
function userCredential (c: UserCred, creds: Credentials, tls: boolean): { authorization?: string, cookie?: string } {
  const session = tls ? '__Host-gatehouse-session' : 'gatehouse-session'
  switch (c) {
    case 'none': return {}
    case 'jwt': return { authorization: `Bearer ${creds.jwt.valid}` }
    case 'jwt-noscope': return { authorization: `Bearer ${creds.jwt.noScope}` }
    case 'jwt-admin': return { authorization: `Bearer ${creds.jwt.admin}` }
    case 'jwt-expired': return { authorization: `Bearer ${creds.jwt.expired}` }
    case 'jwt-forged': return { authorization: `Bearer ${creds.jwt.forged}` }
    case 'jwt-audience': return { authorization: `Bearer ${creds.jwt.otherAudience}` }
    case 'opaque': return { authorization: `Bearer ${creds.opaque.valid}` }
    case 'opaque-noscope': return { authorization: `Bearer ${creds.opaque.noScope}` }
    case 'opaque-unknown': return { authorization: 'Bearer opaque-token-nobody-issued-0123456789' }
    case 'drf': return { authorization: `Token ${DRF_TOKEN}` }
    case 'drf-bad': return { authorization: 'Token 0000000000000000000000000000000000000000' }
    case 'basic-alice': return { authorization: basicOf('alice', 'alice-pw-1') }
    case 'basic-bob': return { authorization: basicOf('bob', 'bob-pw-2') }
    case 'basic-wrong': return { authorization: basicOf('alice', 'wrong-password') }
    case 'session': return { cookie: `${session}=${creds.sid}` }
    case 'session-junk': return { cookie: `${session}=${'A'.repeat(43)}` }
    case 'session-other-name': return { cookie: `${tls ? 'gatehouse-session' : '__Host-gatehouse-session'}=${creds.sid}` }
    case 'bearer-empty': return { authorization: 'Bearer' }
  }
}

export interface CorpusOptions {
  /** Generated cases besides the fixed ones; the fixed seed makes them the same every run. */
  generated: number
  seed: number
  creds: Credentials
  /** The `host:port` each gateway answers on. */
  hosts: { plain: string, tls: string }
}

/** Headers every case carries: Host, its id, its own client address (so no two cases share a failed-login counter). */
function base (id: string, n: number, tls: boolean, hosts: CorpusOptions['hosts']): Array<[string, string]> {
  return [['Host', tls ? hosts.tls : hosts.plain], ['X-Case-Id', id], ['X-Forwarded-For', `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`]]
}

/** A JSON body on the methods that carry one: `{}`, or bytes that are not JSON at all. */
function withBody (method: string, headers: Array<[string, string]>, body = '{}'): string {
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return ''
  headers.push(['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(body))])
  return body
}

interface Expect { status: number, code?: string }
type KnownCase = ParityCase & { expect: Expect, why: string }

/**
 * The seven disagreements issue 23 lists, plus the TLS facts, as fixed cases: in the corpus
 * whatever the generator draws. `expect` is what the running gateway answers.
 */
export function knownCases (o: CorpusOptions): KnownCase[] {
  const { creds, hosts } = o
  const origin = (tls: boolean): string => tls ? `https://${hosts.tls}` : `http://${hosts.plain}`
  const mk = (n: number, why: string, tls: boolean, method: string, target: string, extra: Array<[string, string]>, expect: Expect,
    cert?: CertName): KnownCase => {
    const id = `known${n}`
    const headers = [...base(id, 0xff0000 + n, tls, hosts), ...extra]
    const body = withBody(method, headers)
    return { id, kinds: ['known'], tls, cert, method, target, headers, body, expect, why }
  }
  const cookie = (value: string): Array<[string, string]> => [['Cookie', value]]
  return [
    mk(1, 'a cross-site cookie POST is refused by the CSRF check', false, 'POST', '/app/orders',
      [...cookie(`gatehouse-session=${creds.sid}`), ['Origin', 'https://evil.example']], { status: 403, code: 'csrf_failed' }),
    mk(2, 'a valid plus a junk Authorization: Node keeps the first', false, 'GET', '/usr/x',
      [['Authorization', `Bearer ${creds.jwt.valid}`], ['Authorization', 'Bearer junk']], { status: 200 }),
    mk(3, 'Upgrade: websocket without Connection: Upgrade is a plain request', false, 'GET', '/ws/x',
      [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', WS_KEY]], { status: 200 }),
    mk(4, 'an upgrade without Sec-WebSocket-Key is refused', false, 'GET', '/ws/x',
      [['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13']], { status: 400, code: 'bad_request' }),
    mk(5, 'POST /oauth2/logout from this site is the logout endpoint', false, 'POST', '/oauth2/logout', [['Origin', origin(false)]], { status: 303 }),
    mk(6, 'an undecodable path is 400', false, 'GET', '/api/admin%zz/x', [], { status: 400, code: 'bad_request' }),
    mk(7, 'the session cookie is not forwarded, other cookies are', false, 'GET', '/mixed/x',
      [...cookie(`theme=dark; gatehouse-session=${creds.sid}`), ['Accept', 'application/json']], { status: 200 }),
    mk(8, 'TLS is read: the client certificate is the client, X-Forwarded-Proto is https', true, 'GET', '/cli/1', [], { status: 200 }, 'android'),
    mk(9, 'TLS is read: the session cookie over TLS is the __Host- one', true, 'GET', '/app/x',
      cookie(`__Host-gatehouse-session=${creds.sid}`), { status: 200 })
  ]
}

/** The generated cases: `generated` general requests, one in twenty a login endpoint. */
export function generatedCases (o: CorpusOptions): ParityCase[] {
  const { creds, hosts } = o
  const arb = fc.oneof({ weight: 19, arbitrary: generalCase.map(g => ({ general: g })) }, { weight: 1, arbitrary: specialCase.map(s => ({ special: s })) })
  return fc.sample(arb, { seed: o.seed, numRuns: o.generated }).map((drawn, n) => {
    const id = `c${n}`
    if ('special' in drawn) {
      const s = drawn.special
      const headers = base(id, n, s.tls, hosts)
      const here = s.tls ? `https://${hosts.tls}` : `http://${hosts.plain}`
      if (s.origin === 'same') headers.push(['Origin', here])
      if (s.origin === 'cross') headers.push(['Origin', 'https://evil.example'])
      // Never the real session on a logout: it would end it for the cases after.
      if (s.session === 'junk') headers.push(['Cookie', `${s.tls ? '__Host-' : ''}gatehouse-session=${'B'.repeat(43)}`])
      const kinds = ['special', `special:${s.kind}`, `tls:${String(s.tls)}`]
      const one = (method: string, target: string, body = ''): ParityCase => {
        if (body !== '') headers.push(['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', String(body.length)])
        else if (method === 'POST') headers.push(['Content-Length', '0'])
        return { id, kinds, tls: s.tls, cert: undefined, method, target, headers, body }
      }
      switch (s.kind) {
        case 'logout-post': return one('POST', '/oauth2/logout')
        case 'logout-cross': headers.push(['Sec-Fetch-Site', 'cross-site']); return one('POST', '/oauth2/logout')
        case 'logout-get': return one('GET', '/oauth2/logout')
        case 'callback': return one('GET', '/oauth2/callback?code=abc&state=def')
        case 'callback-bad': return one('GET', '/oauth2/callback?error=access_denied')
        case 'token-endpoint':
          headers.push(['Authorization', basicOf('android', CLIENT_SECRET)])
          return one('POST', '/oauth/token', 'grant_type=client_credentials')
        case 'jwks': return one('GET', '/.well-known/jwks.json')
      }
    }
    const g = drawn.general
    const kinds = [
      `route:${g.route}`, `path:${g.variant}`, `method:${g.method}`, `client:${g.client}`, `user:${g.user}`, `upgrade:${g.upgrade}`, `origin:${g.origin}`,
      `tls:${String(g.tls)}`
    ]
    const headers = base(id, n, g.tls, hosts)
    let target = `${path(g.route, g.variant, g.tail)}${g.query}`
    let cert: CertName | undefined
    switch (g.client) {
      case 'none': break
      case 'key': headers.push(['X-API-Key', KEYS.android]); break
      case 'key-query': target += `${target.includes('?') ? '&' : '?'}api_key=${KEYS.android}`; break
      case 'key-bad': headers.push(['X-API-Key', 'gh_parity-unknown-key-0000000000000000000000']); break
      case 'key-expired': headers.push(['X-API-Key', KEYS.expired]); break
      case 'key-disabled': headers.push(['X-API-Key', KEYS.disabled]); break
      case 'key-twice': headers.push(['X-API-Key', KEYS.android], ['X-API-Key', KEYS.ios]); break
      case 'token': headers.push(['X-Client-Token', creds.clientToken]); break
      case 'token-bad': headers.push(['X-Client-Token', `${creds.clientToken.slice(0, -4)}AAAA`]); break
      case 'cert': cert = 'android'; break
      case 'cert-stranger': cert = 'stranger'; break
      case 'cert-rogue': cert = 'rogue'; break
    }
    // A certificate only exists on a TLS connection.
    if (!g.tls) cert = undefined
    const user = userCredential(g.user, creds, g.tls)
    if (user.authorization !== undefined) {
      const junk = 'Bearer junk-token'
      const lines = g.authRepeat === 'twice'
        ? [user.authorization, user.authorization]
        : g.authRepeat === 'valid+junk' ? [user.authorization, junk] : g.authRepeat === 'junk+valid' ? [junk, user.authorization] : [user.authorization]
      for (const line of lines) headers.push(['Authorization', line])
      if (g.authRepeat !== 'once') kinds.push(`repeat:authorization-${g.authRepeat}`)
    }
    if (user.cookie !== undefined || g.extraCookie !== 'none') {
      const own = user.cookie === undefined ? [] : [user.cookie]
      if (g.extraCookie === 'same-line') headers.push(['Cookie', ['theme=dark', ...own].join('; ')])
      else {
        if (own.length > 0) headers.push(['Cookie', own[0] as string])
        if (g.extraCookie === 'second-line') headers.push(['Cookie', 'theme=dark'])
      }
      if (g.extraCookie === 'second-line' && own.length > 0) kinds.push('repeat:cookie')
    }
    if (g.spoof === 'remote-user') headers.push(['Remote-User', 'mallory'])
    if (g.spoof === 'remote-client') headers.push(['Remote-Client', 'android'])
    if (g.spoof === 'remote_user') headers.push(['Remote_User', 'mallory'])
    headers.push(['Accept', g.page ? 'text/html,application/xhtml+xml' : 'application/json'])
    const here = g.tls ? `https://${hosts.tls}` : `http://${hosts.plain}`
    switch (g.origin) {
      case 'none': break
      case 'same': headers.push(['Origin', here]); break
      case 'cross': headers.push(['Origin', 'https://evil.example']); break
      case 'null': headers.push(['Origin', 'null']); break
      case 'fetch-cross': headers.push(['Sec-Fetch-Site', 'cross-site']); break
      case 'fetch-same': headers.push(['Sec-Fetch-Site', 'same-origin']); break
      case 'referer-same': headers.push(['Referer', `${here}/page`]); break
      case 'referer-cross': headers.push(['Referer', 'https://evil.example/page']); break
    }
    if (g.forwardedProto !== 'none') headers.push(['X-Forwarded-Proto', g.forwardedProto])
    let method: string = g.method
    const handshake: Array<[string, string]> = [
      ['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', WS_KEY]
    ]
    const without = (name: string): Array<[string, string]> => handshake.filter(([n]) => n !== name)
    switch (g.upgrade) {
      case 'none': break
      case 'ws': headers.push(...handshake); method = 'GET'; break
      case 'ws-no-connection': headers.push(...without('Connection')); method = 'GET'; break
      case 'ws-no-key': headers.push(...without('Sec-WebSocket-Key')); method = 'GET'; break
      case 'ws-bad-version': headers.push(...without('Sec-WebSocket-Version'), ['Sec-WebSocket-Version', '7']); method = 'GET'; break
      case 'ws-post': headers.push(...handshake); method = 'POST'; break
      case 'h2c': headers.push(['Connection', 'Upgrade, HTTP2-Settings'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAAQAoAAAAAIAAAAA']); break
    }
    kinds[2] = `method:${method}`
    const body = g.upgrade === 'none' || g.upgrade === 'h2c' || method === 'POST' ? withBody(method, headers, g.body) : ''
    if (body === 'not json') kinds.push('body:not-json')
    return { id, kinds, tls: g.tls, cert, method, target, headers, body }
  })
}

// ---------------------------------------------------------------------------------------------
// The wire.

export interface WireOptions {
  /** The TLS gateway's CA, and the client certificates by name. */
  ca: string
  certs: Record<CertName, { cert: string, key: string }>
  ports: { plain: number, tls: number }
}

/** One case on a connection of its own: the first final answer (or a 101), read off the wire. */
export async function sendCase (c: ParityCase, o: WireOptions): Promise<RawMessage> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s: Socket = c.tls
      ? tlsConnect({ host: '127.0.0.1', port: o.ports.tls, ca: o.ca, ...(c.cert === undefined ? {} : o.certs[c.cert]) }, () => resolve(s))
      : connect({ host: '127.0.0.1', port: o.ports.plain }, () => resolve(s))
    s.once('error', reject)
  })
  socket.setNoDelay(true)
  const conn = new RawConnection(socket)
  try {
    conn.write(Buffer.from(`${c.method} ${c.target} HTTP/1.1\r\n${c.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${c.body}`, 'latin1'))
    for (;;) {
      const res = await conn.response({ head: c.method === 'HEAD', ms: 20_000 })
      if (res.status >= 200 || res.status === 101) return res
    }
  } finally {
    conn.destroy()
  }
}
