import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isMap, isScalar, isSeq, LineCounter, parse as parseYaml, parseDocument, visit, type Document } from 'yaml'
import { createRequire } from 'node:module'
import { positionOf } from './yaml-position.js'
import type { RawAuthenticator, RawConfig, RawRoute } from './schema.js'
import { AUTHENTICATOR_NAME, AUTHENTICATOR_PRINCIPAL, HTTP_METHODS, type AuthenticatorType, type HttpMethod, type PolicyName } from './names.js'
import { checkAuthenticator, checkConfig } from './checks.generated.js'
import { parseDuration, parseExpiry, parseHostPort, parseSize } from './units.js'
import { parseOrigin } from './cors-origin.js'
import { compileRewrite } from '../routing/rewrite.js'
import type {
  AuthenticatorConfig,
  ClientRecord,
  CorsConfig,
  ConfigWarning,
  GatewayConfig,
  RateLimitBy,
  RedisConfig,
  RouteConfig,
  TelemetryConfig,
  UpstreamConfig,
  WebSocketRouteConfig
} from './types.js'
import { compileRoutePattern } from '../routing/route-pattern.js'
import { jwtSpecIssues } from './jwt-options.js'
import { parseSecretHash } from '../secrets/client-secret.js'
import { TOKEN_ENDPOINT_PATHS } from '../routing/endpoint-paths.js'
import { configWarnings } from './warnings.js'
import { publicOriginProblem } from '../routing/public-origin.js'

export interface ConfigIssue {
  file: string
  line: number
  col: number
  /** Key path, `routes[2].policy`; empty for a file-level problem. */
  path: string
  message: string
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[]
  constructor (issues: ConfigIssue[], options?: { cause?: unknown }) {
    super(issues.map(formatIssue).join('\n'), options)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

export function formatIssue (i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.col} ${i.path === '' ? '' : `${i.path}: `}${i.message}`
}

export function formatWarning (w: ConfigWarning): string {
  return `${w.file}:${w.line}:${w.col} ${w.level}: ${w.path === '' ? '' : `${w.path}: `}${w.message}`
}

type Segment = string | number

export function formatPath (segments: readonly Segment[]): string {
  let out = ''
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`
    else out += out === '' ? s : `.${s}`
  }
  return out
}

const requireModule = createRequire(import.meta.url)

/** Config issues, each located in the file (line, column) at the key path it is about. */
export class Issues {
  readonly list: ConfigIssue[] = []
  constructor (private readonly file: string, private readonly doc: Document, private readonly lines: LineCounter) {}

  /** Adds an issue located at the value (or, with `atKey`, the key) found at `segments`. */
  add (segments: readonly Segment[], message: string, atKey = false): void {
    const { line, col } = this.locate(segments, atKey)
    this.list.push({ file: this.file, line, col, path: formatPath(segments), message })
  }

  /** An issue located like `add`'s, returned rather than recorded: for warnings. */
  locateIssue (segments: readonly Segment[], message: string): ConfigIssue {
    const { line, col } = this.locate(segments, false)
    return { file: this.file, line, col, path: formatPath(segments), message }
  }

  at (offset: number, segments: readonly Segment[], message: string): void {
    const { line, col } = this.lines.linePos(offset)
    this.list.push({ file: this.file, line, col, path: formatPath(segments), message })
  }

  private locate (segments: readonly Segment[], atKey: boolean): { line: number, col: number } {
    return positionOf(this.doc, this.lines, segments, atKey)
  }
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g

/**
 * `NAME`, or the content of the file `NAME_FILE` names (Docker and Kubernetes secrets are files),
 * without its final newline. Empty counts as unset; both set is a mistake, not a choice.
 */
function envValue (env: NodeJS.ProcessEnv, name: string): { text?: string, problem?: string } {
  const value = env[name] ?? ''
  const file = env[`${name}_FILE`] ?? ''
  if (file === '') return value === '' ? {} : { text: value }
  if (value !== '') return { problem: `both ${name} and ${name}_FILE are set: set one` }
  try {
    return { text: readFileSync(file, 'utf8').replace(/\r?\n$/, '') }
  } catch (err) {
    return { problem: `${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }
  }
}

/** Expands `${VAR}` / `${VAR:-default}` (or VAR_FILE's content) in every scalar, keeping the document's positions for errors. */
function interpolate (doc: Document, env: NodeJS.ProcessEnv, issues: Issues): void {
  visit(doc, {
    Scalar (_key, node, path) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return
      const segments = pathOf(path, node)
      const expanded = node.value.replace(VAR, (_m, name: string, hasDefault?: string, fallback?: string) => {
        const value = envValue(env, name)
        if (value.problem !== undefined) {
          issues.at(node.range?.[0] ?? 0, segments, value.problem)
          return ''
        }
        if (value.text !== undefined) return value.text
        if (hasDefault !== undefined) return fallback ?? ''
        issues.at(node.range?.[0] ?? 0, segments, `environment variable ${name} (or ${name}_FILE) is not set (write \${${name}:-default} for a default)`)
        return ''
      })
      if (node.type === 'PLAIN' && expanded !== '') {
        // A plain scalar is typed after expansion, as if written so: `${PORT}` can be a number.
        const typed: unknown = parseYaml(expanded)
        node.value = typed === null || typeof typed === 'object' ? expanded : typed
      } else {
        node.value = expanded
      }
    }
  })
}

function pathOf (path: readonly unknown[], node: unknown): Segment[] {
  const segments: Segment[] = []
  const chain = [...path, node]
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1]
    const child = chain[i]
    if (isSeq(parent)) segments.push(parent.items.indexOf(child as never))
    else if (isMap(parent)) {
      const pair = child as { key?: unknown }
      const key = isScalar(pair.key) ? pair.key.value : pair.key
      if (typeof key === 'string' || typeof key === 'number') segments.push(key)
    }
  }
  return segments
}

/** Every authenticator entry's name and type, then the whole config, against the compiled checkers. */
export function schemaValid (data: unknown): boolean {
  if (!checkConfig(data)) return false
  const authenticators = (data as RawConfig).authenticators
  if (authenticators === undefined || authenticators === null) return true
  for (const [name, spec] of Object.entries(authenticators as Record<string, unknown>)) {
    const type = (spec as { type?: unknown } | null)?.type
    if (!AUTHENTICATOR_NAME.test(name) || typeof type !== 'string' || !Object.hasOwn(checkAuthenticator, type)) return false
    if (!(checkAuthenticator[type] as (value: unknown) => boolean)(spec)) return false
  }
  return true
}

function schemaIssues (data: unknown, issues: Issues): void {
  if (schemaValid(data)) return
  // Only a config that fails loads TypeBox: its errors, reworded to name each key, are the messages.
  // The bundle (package.json `bundle`) has this file as an entry of its own beside its chunks: the same relative path.
  const { schemaErrors } = requireModule('./schema-issues.js') as typeof import('./schema-issues.js')
  schemaErrors(data, (segments, message, atKey) => issues.add(segments, message, atKey))
}

function policyRequires (policy: PolicyName): { client: boolean, user: boolean } {
  return { client: policy === 'client' || policy === 'client+user', user: policy === 'user' || policy === 'client+user' }
}

function normaliseRoute (raw: RawRoute, index: number, cfg: RawConfig, issues: Issues): RouteConfig | undefined {
  const at = (...rest: Segment[]): Segment[] => ['routes', index, ...rest]
  let ok = true
  const pattern = compileRoutePattern(raw.match)
  if (typeof pattern === 'string') {
    issues.add(at('match'), pattern)
    ok = false
  }
  if (cfg.upstreams[raw.upstream] === undefined) {
    issues.add(at('upstream'), `unknown upstream "${raw.upstream}" (declared: ${Object.keys(cfg.upstreams).join(', ') || 'none'})`)
    ok = false
  }
  for (const principal of ['client', 'user'] as const) {
    for (const [i, name] of (raw[principal] ?? []).entries()) {
      const auth = cfg.authenticators?.[name]
      if (auth === undefined) {
        issues.add(at(principal, i), `unknown authenticator "${name}" (declared: ${Object.keys(cfg.authenticators ?? {}).join(', ') || 'none'})`)
        ok = false
      } else if (AUTHENTICATOR_PRINCIPAL[auth.type as AuthenticatorType] !== principal) {
        issues.add(
          at(principal, i),
          `authenticator "${name}" (${auth.type}) proves a ${AUTHENTICATOR_PRINCIPAL[auth.type as AuthenticatorType]}, not a ${principal}`
        )
        ok = false
      }
    }
  }

  const spec = raw.policy as PolicyName | Partial<Record<HttpMethod | '*', PolicyName>>
  const policy: Record<string, PolicyName> = {}
  let methods: HttpMethod[]
  if (typeof spec === 'string') {
    methods = raw.methods ?? [...HTTP_METHODS]
    for (const m of methods) policy[m] = spec
  } else {
    const fallback = spec['*']
    methods = raw.methods ?? (fallback !== undefined ? [...HTTP_METHODS] : HTTP_METHODS.filter(m => spec[m] !== undefined))
    for (const m of methods) {
      const p = spec[m] ?? fallback
      if (p === undefined) {
        issues.add(at('policy'), `method ${m} is listed in methods but has no policy (add "${m}" or "*")`)
        ok = false
      } else {
        policy[m] = p
      }
    }
  }
  const needs = { client: false, user: false }
  for (const p of Object.values(policy)) {
    const r = policyRequires(p)
    needs.client ||= r.client
    needs.user ||= r.user
  }
  for (const principal of ['client', 'user'] as const) {
    if (needs[principal] && (raw[principal] ?? []).length === 0) {
      issues.add(at('policy'), `requires a ${principal} but the route lists no ${principal} authenticators (add ${principal}: [...])`)
      ok = false
    }
  }
  if (raw.bindUserToClient === true && ((raw.client ?? []).length === 0 || (raw.user ?? []).length === 0)) {
    issues.add(at('bindUserToClient'), 'needs both client and user authenticators on the route')
    ok = false
  }
  for (const [i, id] of (raw.clients ?? []).entries()) {
    if (!(cfg.clients ?? []).some(c => c.id === id)) {
      issues.add(at('clients', i), `unknown client "${id}"`)
      ok = false
    }
  }
  if (typeof pattern !== 'string') {
    const reserved = pattern.urls.find(u => (Object.values(TOKEN_ENDPOINT_PATHS) as string[]).includes(u))
    if (reserved !== undefined) {
      issues.add(at('match'), `${reserved} is served by the gateway's token endpoints; it cannot be proxied`)
      ok = false
    }
    const login = pattern.urls.find(u => oidcPaths(cfg).includes(u))
    if (login !== undefined) {
      issues.add(at('match'), `${login} is served by the gateway's browser login (an oidc authenticator); it cannot be proxied`)
      ok = false
    }
  }
  if (raw.websocket !== undefined && raw.websocket !== false && !methods.includes('GET')) {
    issues.add(at('websocket'), 'a WebSocket upgrade is a GET: add GET to the route\'s methods')
    ok = false
  }
  const cors = raw.cors === false ? undefined : raw.cors ?? cfg.server?.cors
  if (cors !== undefined && !corsOk(cors, raw.cors === undefined ? ['server', 'cors'] : at('cors'), issues)) ok = false
  if (raw.rewrite !== undefined && typeof pattern !== 'string') {
    const rewrite = compileRewrite(raw.match, raw.rewrite)
    if (typeof rewrite === 'string') {
      issues.add(at('rewrite'), rewrite)
      ok = false
    }
  }
  if (!ok || typeof pattern === 'string') return undefined
  return {
    index,
    match: raw.match,
    urls: pattern.urls,
    methods,
    policy,
    upstream: raw.upstream,
    client: raw.client ?? [],
    user: raw.user ?? [],
    scopes: raw.scopes ?? [],
    requireClaims: Object.entries(raw.require?.claims ?? {}).map(([claim, v]) => [claim, Array.isArray(v) ? v : [v]]),
    clients: raw.clients === undefined ? undefined : new Set(raw.clients),
    bindUserToClient: raw.bindUserToClient ?? false,
    rateLimit:
      raw.rateLimit === undefined
        ? undefined
        : {
            max: raw.rateLimit.max,
            windowMs: parseDuration(raw.rateLimit.window),
            by: raw.rateLimit.by ?? ((needs.client ? 'client' : needs.user ? 'user' : 'ip') as RateLimitBy),
            onRedisError: raw.rateLimit.onRedisError ?? 'open'
          },
    forwardCredentials: raw.forwardCredentials ?? false,
    csrf: raw.csrf ?? 'lax',
    websocket: normaliseWebSocket(raw.websocket),
    cors: cors === undefined ? undefined : normaliseCors(cors),
    rewrite: raw.rewrite
  }
}

type RawCors = Exclude<NonNullable<RawRoute['cors']>, false>

/** Every origin well-formed, and never credentials with any origin (the Fetch standard refuses `*` with credentials). */
function corsOk (cors: RawCors, at: Segment[], issues: Issues): boolean {
  let ok = true
  if (cors.origins.includes('*')) {
    if (cors.origins.length > 1) {
      issues.add([...at, 'origins'], '"*" allows every origin: list it alone')
      ok = false
    }
    if (cors.credentials === true) {
      issues.add(
        [...at, 'credentials'],
        'credentials with origins ["*"] would let any site act with the user\'s cookies (and browsers refuse it): list the origins'
      )
      ok = false
    }
    return ok
  }
  for (const [i, origin] of cors.origins.entries()) {
    const parsed = parseOrigin(origin)
    if (typeof parsed === 'string') {
      issues.add([...at, 'origins', i], parsed)
      ok = false
    }
  }
  return ok
}

function normaliseCors (cors: RawCors): CorsConfig {
  return {
    origins: cors.origins,
    methods: cors.methods,
    headers: cors.headers,
    exposeHeaders: cors.exposeHeaders ?? [],
    credentials: cors.credentials ?? false,
    maxAgeS: cors.maxAge === undefined ? undefined : Math.floor(parseDuration(cors.maxAge) / 1000)
  }
}

/** `websocket: true` takes every default: 1 MiB messages, no idle limit, left open past the token's exp. */
function normaliseWebSocket (raw: RawRoute['websocket']): WebSocketRouteConfig | undefined {
  if (raw === undefined || raw === false) return undefined
  const spec = raw === true ? {} : raw
  return {
    maxPayload: parseSize(spec.maxPayload ?? '1MiB'),
    idleTimeoutMs: spec.idleTimeout === undefined ? 0 : parseDuration(spec.idleTimeout),
    closeOnExpiry: spec.closeOnExpiry ?? false
  }
}

function normaliseClients (raw: RawConfig, issues: Issues): Map<string, ClientRecord> {
  const clients = new Map<string, ClientRecord>()
  const keyOwners = new Map<string, string>()
  for (const [i, c] of (raw.clients ?? []).entries()) {
    if (clients.has(c.id)) issues.add(['clients', i, 'id'], `duplicate client id "${c.id}"`)
    if (c.secretHash !== undefined && parseSecretHash(c.secretHash) === undefined) {
      issues.add(['clients', i, 'secretHash'], 'not a secret hash this gateway can check; make one with `gatehouse hash-secret` or `gatehouse clients new`')
    }
    const apiKeys = (c.apiKeys ?? []).map((k, j) => {
      const hash = k.hash.slice('sha256:'.length)
      const owner = keyOwners.get(hash)
      if (owner !== undefined) issues.add(['clients', i, 'apiKeys', j, 'hash'], `this key hash is already used by client "${owner}"`)
      keyOwners.set(hash, c.id)
      return { hash, expiresAt: k.expires === undefined ? null : parseExpiry(k.expires) }
    })
    clients.set(c.id, {
      id: c.id,
      name: c.name ?? c.id,
      secretHash: c.secretHash,
      apiKeys,
      scopes: c.scopes ?? [],
      userTokenClients: c.userTokenClients ?? [],
      rateLimit: c.rateLimit === undefined ? undefined : { max: c.rateLimit.max, windowMs: parseDuration(c.rateLimit.window) },
      certificate: c.certificate,
      expiresAt: c.expires === undefined ? null : parseExpiry(c.expires),
      disabled: c.disabled ?? false
    })
  }
  return clients
}

const HTTP_URL = /^https?:\/\/[^/]/

const PATH_KEYS: Partial<Record<AuthenticatorType, string[]>> = { jwt: ['publicKey'], basic: ['usersFile'], oidc: ['privateKey'] }

/** The paths the gateway itself serves for browser login: routes cannot claim them. */
function oidcPaths (raw: RawConfig): string[] {
  return Object.values(raw.authenticators ?? {}).flatMap(a => a.type === 'oidc' ? [a.redirectPath ?? '/oauth2/callback', a.logoutPath ?? '/oauth2/logout'] : [])
}

function oidcIssues (name: string, spec: RawAuthenticator<'oidc'>, raw: RawConfig, seen: Map<string, string>, issues: Issues): void {
  const at = (...rest: Segment[]): Segment[] => ['authenticators', name, ...rest]
  const secrets = (['clientSecret', 'privateKey'] as const).filter(k => spec[k] !== undefined && spec[k] !== '')
  if (secrets.length !== 1) {
    issues.add(at(), `an oidc authenticator needs exactly one of clientSecret or privateKey (has ${secrets.length === 0 ? 'none' : secrets.join(', ')})`, true)
  }
  const key = spec.session?.key ?? ''
  if (key !== '' && key.length < 32) issues.add(at('session', 'key'), 'at least 32 characters: `openssl rand -hex 32` makes one')
  const redis = raw.cache?.redis
  if (key === '' && redis !== undefined && redis !== '' && (raw.cache?.integrityKey ?? '') === '') {
    issues.add(at(), 'sessions in Redis are encrypted with a key every instance shares: set session.key (or cache.integrityKey)', true)
  }
  if (spec.scopes !== undefined && !spec.scopes.includes('openid')) issues.add(at('scopes'), 'must include openid: the login asks for an ID token')
  const redirectPath = spec.redirectPath ?? '/oauth2/callback'
  const logoutPath = spec.logoutPath ?? '/oauth2/logout'
  if (redirectPath === logoutPath) issues.add(at('logoutPath'), 'must differ from redirectPath')
  const owned: Array<[Segment, string]> = [
    ['redirectPath', redirectPath],
    ['logoutPath', logoutPath],
    ['session', `cookie ${spec.session?.cookie ?? 'gatehouse-session'}`]
  ]
  for (const [key, value] of owned) {
    if ((Object.values(TOKEN_ENDPOINT_PATHS) as string[]).includes(value)) issues.add(at(key), `${value} is served by the gateway's token endpoints`)
    const other = seen.get(value)
    if (other !== undefined) issues.add(at(key), `${value} is already used by the oidc authenticator "${other}"`)
    seen.set(value, name)
  }
}

function normaliseAuthenticators (raw: RawConfig, dir: string, issues: Issues): Map<string, AuthenticatorConfig> {
  const out = new Map<string, AuthenticatorConfig>()
  const oidcSeen = new Map<string, string>()
  for (const [name, spec] of Object.entries(raw.authenticators ?? {})) {
    const type = spec.type as AuthenticatorType
    const resolved: Record<string, unknown> = { ...spec }
    for (const key of PATH_KEYS[type] ?? []) {
      const v = resolved[key]
      // An empty value (what `${VAR}` leaves for an unset variable) is no file: left empty, as absent.
      if (typeof v === 'string' && v !== '' && !v.trimStart().startsWith('-----') && !v.trimStart().startsWith('{')) resolved[key] = resolve(dir, v)
    }
    if (type === 'mtls' && raw.server?.tls?.clientCa === undefined) {
      issues.add(['authenticators', name], 'an mtls authenticator needs server.tls with clientCa (the CA that issues client certificates)', true)
    }
    if (type === 'jwt') {
      const sources = ['jwksUri', 'publicKey', 'secret'].filter(k => resolved[k] !== undefined && resolved[k] !== '')
      if (sources.length > 1) {
        issues.add(
          ['authenticators', name],
          `a jwt authenticator takes one of jwksUri, publicKey or secret, or none to find the JWKS from its issuer (has ${sources.join(', ')})`,
          true
        )
      }
      if (sources.length === 0 && !HTTP_URL.test(String(resolved.issuer))) {
        issues.add(
          ['authenticators', name, 'issuer'],
          'with no jwksUri, publicKey or secret the JWKS is found from the issuer, which must then be an http:// or https:// URL'
        )
      }
      for (const [path, message] of jwtSpecIssues(spec as RawAuthenticator<'jwt'>)) issues.add(['authenticators', name, ...path], message)
    }
    if (type === 'userToken') {
      const listed = (spec as RawAuthenticator<'userToken'>).tokens ?? []
      const redis = raw.cache?.redis
      if (listed.length === 0 && (redis === undefined || redis === '')) {
        issues.add(
          ['authenticators', name],
          'a userToken authenticator needs cache.redis (where `gatehouse tokens` keeps them) or a tokens: list of hashes',
          true
        )
      }
      const seen = new Set<string>()
      for (const [i, t] of listed.entries()) {
        if (seen.has(t.hash)) issues.add(['authenticators', name, 'tokens', i, 'hash'], 'this token hash is listed twice')
        seen.add(t.hash)
        if (t.client !== undefined && !(raw.clients ?? []).some(c => c.id === t.client)) {
          issues.add(['authenticators', name, 'tokens', i, 'client'], `unknown client "${t.client}"`)
        }
      }
    }
    if (type === 'introspection') {
      const given = ['endpoint', 'issuer'].filter(k => resolved[k] !== undefined && resolved[k] !== '')
      if (given.length !== 1) {
        issues.add(
          ['authenticators', name],
          `an introspection authenticator needs one of endpoint or issuer (has ${given.length === 0 ? 'neither' : 'both'})`,
          true
        )
      }
      for (const key of given) if (!HTTP_URL.test(String(resolved[key]))) issues.add(['authenticators', name, key], 'must be an http:// or https:// URL')
    }
    if (type === 'oidc') oidcIssues(name, spec as RawAuthenticator<'oidc'>, raw, oidcSeen, issues)
    out.set(name, { name, type, principal: AUTHENTICATOR_PRINCIPAL[type], spec: resolved as never })
  }
  return out
}

const basePath = (url: URL): string => url.pathname.replace(/\/$/, '')

function normaliseUpstreams (raw: RawConfig, issues: Issues): Map<string, UpstreamConfig> {
  const out = new Map<string, UpstreamConfig>()
  for (const [name, u] of Object.entries(raw.upstreams)) {
    if ((u.url === undefined) === (u.targets === undefined)) {
      issues.add(['upstreams', name], 'needs url (one target) or targets (several), not both')
      continue
    }
    const key = u.url === undefined ? 'targets' : 'url'
    const urls: URL[] = []
    for (const [i, text] of (u.targets ?? [u.url as string]).entries()) {
      const at: Segment[] = u.url === undefined ? ['upstreams', name, key, i] : ['upstreams', name, key]
      try {
        const url = new URL(text)
        if (url.search !== '' || url.hash !== '') issues.add(at, 'an upstream URL has no query or fragment')
        else if (urls.length > 0 && basePath(url) !== basePath(urls[0] as URL)) {
          issues.add(at, `every target has the same path prefix (${(urls[0] as URL).pathname})`)
        } else if (urls.some(o => o.origin === url.origin)) issues.add(at, `${url.origin} is listed twice`)
        urls.push(url)
      } catch (err) {
        issues.add(at, `not a URL: ${(err as Error).message}`)
      }
    }
    for (const key of ['interval', 'timeout'] as const) {
      const value = u.healthCheck?.[key]
      if (value !== undefined && parseDuration(value) === 0) issues.add(['upstreams', name, 'healthCheck', key], 'must be more than 0')
    }
    const url = urls[0]
    if (url === undefined) continue
    out.set(name, {
      name,
      url: url.href.replace(/\/$/, ''),
      origin: url.origin,
      targets: urls.map(t => t.origin),
      balance: u.balance ?? 'round-robin',
      passiveHealth: { failures: u.passiveHealth?.failures ?? 3, cooldownMs: parseDuration(u.passiveHealth?.cooldown ?? '10s') },
      healthCheck: u.healthCheck === undefined
        ? undefined
        : { path: u.healthCheck.path, intervalMs: parseDuration(u.healthCheck.interval ?? '5s'), timeoutMs: parseDuration(u.healthCheck.timeout ?? '1s') },
      retries: u.retries ?? 1,
      retryOn: new Set(u.retryOn ?? ['connect-failure']),
      timeoutMs: u.timeout === undefined ? 30_000 : parseDuration(u.timeout),
      connections: u.connections ?? 128
    })
  }
  return out
}

function normaliseRedis (redis: NonNullable<NonNullable<RawConfig['cache']>['redis']>, issues: Issues): RedisConfig | undefined {
  if (typeof redis === 'string') {
    if (redis === '') return undefined
    if (!/^rediss?:\/\//.test(redis)) issues.add(['cache', 'redis'], 'must be a redis:// or rediss:// URL')
    return { url: redis }
  }
  if ('cluster' in redis) return { cluster: redis.cluster }
  return redis
}

/** Two routes the router would match alike: same method and path, once case and a trailing slash are folded as configured. */
function duplicateRoutes (routes: RouteConfig[], routing: { caseSensitive?: boolean, ignoreTrailingSlash?: boolean } | undefined, issues: Issues): void {
  const seen = new Map<string, number>()
  for (const r of routes) {
    for (const url of r.urls) {
      let path = url.replace(/:[^/]+/g, ':')
      if (routing?.caseSensitive !== true) path = path.toLowerCase()
      if (routing?.ignoreTrailingSlash !== false && path.length > 1) path = path.replace(/\/$/, '')
      for (const m of r.methods) {
        const key = `${m} ${path}`
        const first = seen.get(key)
        if (first !== undefined && first !== r.index) {
          issues.add(
            ['routes', r.index, 'match'],
            `duplicate route: ${m} ${r.match} is already served by routes[${first}] (${routes.find(x => x.index === first)?.match ?? ''})`
          )
          return
        }
        seen.set(key, r.index)
      }
    }
  }
}

/**
 * The in-process tier's byte bound when the config sets none: with compact entries (about
 * 450 bytes each) it holds some 37,000 credentials, and keeps the gateway's RSS under 256 MiB
 * however many distinct tokens arrive (bench/RESULTS.md, the memory run).
 */
const DEFAULT_LOCAL_MAX_SIZE = '16MiB'
const MIN_LOCAL_MAX_SIZE = 64 * 1024

/** Parses, interpolates, validates and normalises one config text. Throws ConfigError with every issue found. */
export function parseConfig (text: string, file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const issues = new Issues(file, doc, lines)
  for (const e of doc.errors) issues.at(e.pos[0], [], `YAML: ${e.message.split('\n')[0]}`)
  if (issues.list.length > 0) throw new ConfigError(issues.list)
  interpolate(doc, env, issues)
  if (issues.list.length > 0) throw new ConfigError(issues.list)
  const data: unknown = doc.toJS({ maxAliasCount: 100 })
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: 'the config must be a mapping with upstreams and routes' }])
  }
  schemaIssues(data, issues)
  if (issues.list.length > 0) throw new ConfigError(issues.list)
  const raw = data as RawConfig
  const dir = dirname(file)

  const clients = normaliseClients(raw, issues)
  const authenticators = normaliseAuthenticators(raw, dir, issues)
  const upstreams = normaliseUpstreams(raw, issues)
  const routes = raw.routes.map((r, i) => normaliseRoute(r, i, raw, issues)).filter((r): r is RouteConfig => r !== undefined)
  duplicateRoutes(routes, raw.server?.routing, issues)

  const headers = {
    user: raw.identity?.headers?.user ?? 'Remote-User',
    client: raw.identity?.headers?.client ?? 'Remote-Client',
    scopes: raw.identity?.headers?.scopes ?? 'Remote-Scopes',
    auth: raw.identity?.headers?.auth ?? 'Remote-Auth'
  }
  const server = raw.server ?? {}
  const redis = raw.cache?.redis === undefined ? undefined : normaliseRedis(raw.cache.redis, issues)
  const localMaxSize = parseSize(raw.cache?.local?.maxSize ?? DEFAULT_LOCAL_MAX_SIZE)
  if (localMaxSize < MIN_LOCAL_MAX_SIZE) issues.add(['cache', 'local', 'maxSize'], 'must be at least 64KiB')
  const integrityKey = raw.cache?.integrityKey === undefined || raw.cache.integrityKey === '' ? undefined : raw.cache.integrityKey
  if (integrityKey !== undefined && integrityKey.length < 32) issues.add(['cache', 'integrityKey'], 'at least 32 characters: `openssl rand -hex 32` makes one')
  const signingKeys = raw.tokens?.signingKeys === undefined || raw.tokens.signingKeys === '' ? undefined : resolve(dir, raw.tokens.signingKeys)
  const listen = parseHostPort(server.listen ?? '0.0.0.0:8080')
  if (server.adminToken !== undefined && server.adminToken !== '' && server.adminToken.length < 16) {
    issues.add(['server', 'adminToken'], 'at least 16 characters: `openssl rand -hex 32` makes one')
  }
  if (server.decisionsToken !== undefined && server.decisionsToken !== '' && server.decisionsToken.length < 16) {
    issues.add(['server', 'decisionsToken'], 'at least 16 characters: `openssl rand -hex 32` makes one')
  }
  for (const key of ['bodyTimeout', 'requestTimeout', 'sendTimeout'] as const) {
    // 0 would mean "no limit" to Node: one slow client could hold a connection and an upstream slot forever.
    if (server[key] !== undefined && parseDuration(server[key]) === 0) {
      issues.add(['server', key], 'must be more than 0: without a limit a slow client holds its connection and upstream slot forever')
    }
  }
  const buffer = {
    requestBody: parseSize(server.buffer?.requestBody ?? '1MiB'),
    response: parseSize(server.buffer?.response ?? '1MiB'),
    total: parseSize(server.buffer?.total ?? '256MiB')
  }
  for (const key of ['requestBody', 'response'] as const) {
    // One request alone could then spend the whole budget, or never get its share.
    if (buffer[key] <= buffer.total) continue
    issues.add(
      ['server', 'buffer', server.buffer?.[key] === undefined ? 'total' : key],
      `buffer.${key} (${buffer[key]} bytes) must not be more than buffer.total (${buffer.total} bytes)`
    )
  }
  for (const [i, o] of (server.publicOrigins ?? []).entries()) {
    const problem = publicOriginProblem(o)
    if (problem !== undefined) issues.add(['server', 'publicOrigins', i], problem)
  }
  const telemetry = normaliseTelemetry(raw.telemetry)
  if (telemetry !== undefined && !HTTP_URL.test(telemetry.endpoint)) issues.add(['telemetry', 'otlp', 'endpoint'], 'must be an http:// or https:// URL')
  if (issues.list.length > 0) throw new ConfigError(issues.list)

  const config: GatewayConfig = {
    file,
    hash: createHash('sha256').update(text).digest('hex'),
    server: {
      listen,
      admin: server.admin === false ? undefined : parseHostPort(server.admin ?? '127.0.0.1:9090'),
      adminToken: server.adminToken === undefined || server.adminToken === '' ? undefined : server.adminToken,
      decisions: server.decisions === undefined ? undefined : parseHostPort(server.decisions),
      decisionsToken: server.decisionsToken === undefined || server.decisionsToken === '' ? undefined : server.decisionsToken,
      decisionsCacheTtlMs: parseDuration(server.decisionsCacheTtl ?? '0s'),
      workers: server.workers ?? 1,
      trustProxy: server.trustProxy ?? false,
      publicOrigins: (server.publicOrigins ?? []).map(o => new URL(o).origin),
      bodyLimit: parseSize(server.bodyLimit ?? '10MiB'),
      bodyTimeoutMs: parseDuration(server.bodyTimeout ?? '30s'),
      requestTimeoutMs: parseDuration(server.requestTimeout ?? '300s'),
      drainTimeoutMs: parseDuration(server.drainTimeout ?? '30s'),
      sendTimeoutMs: parseDuration(server.sendTimeout ?? '60s'),
      buffer,
      routing: {
        caseSensitive: server.routing?.caseSensitive ?? false,
        ignoreTrailingSlash: server.routing?.ignoreTrailingSlash ?? true,
        allowSemicolons: server.routing?.allowSemicolons ?? false,
        maxParamLength: server.routing?.maxParamLength ?? 1000
      },
      logLevel: server.logLevel ?? 'info',
      watch: server.watch ?? false,
      tls:
        server.tls === undefined
          ? undefined
          : {
              cert: resolve(dir, server.tls.cert),
              key: resolve(dir, server.tls.key),
              clientCa: server.tls.clientCa === undefined ? undefined : resolve(dir, server.tls.clientCa)
            }
    },
    cache: { redis, localMaxEntries: raw.cache?.local?.maxEntries ?? 100_000, localMaxSize, integrityKey },
    identity: {
      headers,
      claims: Object.entries(raw.identity?.claims ?? {}),
      strip: raw.identity?.strip ?? ['Remote-*'],
      stripOverrides: raw.identity?.stripOverrides ?? [
        'X-HTTP-Method-Override',
        'X-HTTP-Method',
        'X-Method-Override',
        'X-Original-URL',
        'X-Rewrite-URL',
        '?_method'
      ],
      assertion:
        raw.identity?.assertion === undefined
          ? undefined
          : { header: raw.identity.assertion.header ?? 'Remote-Identity', ttlMs: parseDuration(raw.identity.assertion.ttl ?? '60s') }
    },
    tokens: {
      issuer: raw.tokens?.issuer ?? `http://${listen.host === '0.0.0.0' ? 'localhost' : listen.host}:${listen.port}`,
      ttlMs: parseDuration(raw.tokens?.ttl ?? '15m'),
      signingKeys
    },
    telemetry,
    clients,
    authenticators,
    upstreams,
    routes,
    warnings: []
  }
  config.warnings = configWarnings(config).map(w => ({ ...issues.locateIssue(w.path, w.message), level: w.level }))
  return config
}

function normaliseTelemetry (raw: RawConfig['telemetry']): TelemetryConfig | undefined {
  const otlp = raw?.otlp
  if (otlp === undefined || otlp.endpoint === '') return undefined
  return {
    endpoint: otlp.endpoint,
    headers: otlp.headers ?? {},
    serviceName: otlp.serviceName ?? 'gatehouse',
    sampleRatio: otlp.sampleRatio ?? 1,
    exportIntervalMs: parseDuration(otlp.exportInterval ?? '5s')
  }
}
