import type { AuthenticatorConfig } from '../config/types.js'
import type { PolicyName } from '../config/schema.js'
import type { Gateway, RuntimeRoute } from '../gateway.js'
import { GatehouseError, problemAnswer, type Problem } from '../errors.js'
import { corsResponseHeaders, originAllowed } from '../policy/cors.js'
import { judgeTarget, type RequestTarget } from '../routing/request-path.js'
import type { Identity } from '../policy/authenticate.js'
import { effectiveLimit, limitKey, limitScope } from '../rate-limit/rate-limit.js'
import { identityHeaders } from '../identity/headers.js'
import { decide, type Outcome, type Stage } from '../decision/decide.js'
import { decisionRequest, upgradeRequested, type DecisionRequest, type TlsFacts } from '../decision/request.js'
import { doorSummary, type DoorSummary } from '../decision-api/front-door.js'
import { nearMatches, type NearMatch } from './near-matches.js'

export interface ExplainRequest {
  method: string
  /** The request target as a client sends it: `/path?query`. */
  url: string
  /** Lowercased names, joined as Node joins repeated headers; or give `rawHeaders`. */
  headers?: Record<string, string | string[]> | undefined
  /** `[name, value, …]` as sent, repeats kept: joined here exactly as the listener's Node joins them. */
  rawHeaders?: readonly string[] | undefined
  /** The direct peer's address (a proxy's, when X-Forwarded-For is sent and trusted). */
  ip: string
  /** The connection's TLS; default plain HTTP. */
  tls?: TlsFacts | undefined
}

export interface AuthenticatorSummary {
  name: string
  type: string
  /** The credential it looks for: `header authorization`, `query api_key`, `TLS client certificate`. */
  reads: string[]
  /** The settings that decide what it accepts (issuer, audience, endpoint…); never a secret. */
  settings: Record<string, unknown>
}

export type { Stage }

/** A principal explain found, whatever the decision: who, by which authenticator, with what. */
export interface FoundPrincipal {
  id: string
  authenticator: string
  scopes: string[]
  /** User only: the claims the route or the identity headers look at, plus who issued the token and to whom. */
  claims?: Record<string, unknown>
}

export interface Decision {
  allowed: boolean
  /** `allow` (forwarded), `deny` (the problem), `login` (302 to the provider), `endpoint` (the gateway answers itself). */
  outcome: Outcome['kind']
  /** The status the gateway answers with; undefined when the upstream or the endpoint decides it. */
  status?: number
  /** Where the request stopped (or `identity`, the last step before forwarding, when allowed). */
  stage: Stage
  /** Why, in a sentence; for a refusal, the detail the client is told plus which authenticator decided. */
  reason: string
  /** The problem+json the client would get, with its status and headers; undefined when allowed. */
  problem?: Problem
  responseHeaders?: Array<[string, string]>
}

export interface Explanation {
  request: { method: string, url: string }
  target?: RequestTarget
  /** The gateway answers this path itself (a token endpoint): no route, no policy. */
  tokenEndpoint?: string
  route?: {
    index: number
    match: string
    methods: string[]
    upstream: string
    upstreamUrl: string
    params: Record<string, string | undefined>
    websocket: boolean
  }
  nearMatches: NearMatch[]
  policy?: PolicyName
  authenticators?: { client: AuthenticatorSummary[], user: AuthenticatorSummary[] }
  checks?: { clients: string[] | undefined, bindUserToClient: boolean, scopes: string[], claims: Record<string, unknown[]> }
  rateLimit?: { max: number, windowMs: number, by: string, key: string, clientTier: boolean, onRedisError: 'open' | 'closed' }
  /** Credential headers and query parameters removed before forwarding (none with `forwardCredentials: true`). */
  credentials?: { headers: string[], query: string[], forwarded: boolean }
  identity?: {
    /** The header names this gateway sets, whatever the request. */
    headers: { user: string, client: string, scopes: string, auth: string, claims: Record<string, string>, assertion: string | undefined }
    /** The values this request would get; only when it is allowed. */
    set?: Array<[string, string]>
    principals?: { client: string | undefined, user: string | undefined, authenticators: string[] }
  }
  /** Who the request turned out to be before the decision: given for a refusal too. */
  found?: { client?: FoundPrincipal, user?: FoundPrincipal }
  /** What goes upstream for an allowed request: the path and headers, credential values masked. */
  upstream?: {
    path: string
    judgedPath?: string
    /** A WebSocket handshake: the upstream is asked to switch protocols, and the relay follows. */
    webSocket: boolean
    headers: Array<[string, string]>
    dropped: Array<{ header: string, why: string }>
  }
  /** What the route's `cors` makes of this request: a preflight's answer, or the headers every answer carries. */
  cors?: { preflight: boolean, origin: string | undefined, allowed: boolean, headers: Array<[string, string]> }
  decision: Decision
  /** With `server.decisions`: what the decision API answers each proxy for this request. */
  decisionApi?: DoorSummary
}

/** The settings worth showing for each authenticator type: what it trusts, never what it knows. */
const SHOWN: Record<string, string[]> = {
  jwt: ['issuer', 'audience', 'jwksUri', 'algorithms', 'userClaim', 'scopeClaim', 'requiredClaims'],
  introspection: ['endpoint', 'clientId', 'userClaim'],
  apiKey: ['header', 'query'],
  clientToken: ['header'],
  basic: ['usersFile'],
  mtls: [],
  oidc: ['issuer', 'clientId', 'scopes', 'userClaim', 'redirectPath']
}

function summarise (gateway: Gateway, name: string): AuthenticatorSummary {
  const cfg = gateway.config.authenticators.get(name) as AuthenticatorConfig
  const a = gateway.authenticators.get(name)
  const reads = [
    ...(a?.consumes.headers ?? []).map(h => `header ${h}`),
    ...(a?.consumes.query ?? []).map(q => `query ${q}`),
    ...(cfg.type === 'oidc' ? (a?.consumes.cookies ?? []).filter(c => !c.endsWith('-login')).map(c => `cookie ${c}`) : []),
    ...(cfg.type === 'mtls' ? ['TLS client certificate'] : [])
  ]
  const spec = cfg.spec as Record<string, unknown>
  const settings: Record<string, unknown> = {}
  for (const key of SHOWN[cfg.type] ?? []) if (spec[key] !== undefined) settings[key] = spec[key]
  return { name, type: cfg.type, reads, settings }
}

/** Headers whose values explain never prints, whatever the route does with them. */
function masked (gateway: Gateway, name: string): boolean {
  return name === 'authorization' || gateway.credentials.headers.includes(name)
}

/** A Cookie header with each value hidden: which cookies go upstream shows, never what they hold. */
function maskCookies (value: string): string {
  return value.split(';').map(part => {
    const eq = part.indexOf('=')
    return eq === -1 ? part.trim() : `${part.slice(0, eq).trim()}=<redacted>`
  }).join('; ')
}

/** The upstream header list as explain prints it: credential values hidden, cookie values hidden. */
export function printableHeaders (gateway: Gateway, flat: readonly string[], setByGateway: ReadonlySet<string>): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string
    const value = flat[i + 1] as string
    out.push([name, setByGateway.has(name) ? value : name === 'cookie' ? maskCookies(value) : masked(gateway, name) ? '<redacted>' : value])
  }
  return out
}

function refusal (stage: Stage, error: GatehouseError, thrown: unknown, responseHeaders: Array<[string, string]>): Decision {
  const by = error.authenticator === undefined ? '' : ` (authenticator ${error.authenticator})`
  // For the operator, an internal failure's own message: the client would only see the generic detail.
  const cause = error.code === 'internal_error' && thrown instanceof Error ? `: ${thrown.message}` : ''
  const answer = problemAnswer(error, 'explain', responseHeaders.flat())
  // The framing headers (content-type, cache-control, content-length) are the same for every problem: shown is what this refusal adds.
  const headers: Array<[string, string]> = []
  for (let i = 6; i < answer.headers.length; i += 2) headers.push([answer.headers[i] as string, answer.headers[i + 1] as string])
  return {
    allowed: false,
    outcome: 'deny',
    status: error.status,
    stage,
    reason: `${error.status} ${error.code}: ${error.detail}${by}${cause}`,
    problem: answer.problem,
    responseHeaders: headers
  }
}

/** Claims worth showing besides those the route and the identity headers look at: who issued the token, to whom, until when. */
const CONTEXT_CLAIMS = ['iss', 'aud', 'azp', 'client_id', 'exp']

function foundOf (gateway: Gateway, route: RuntimeRoute | undefined, identity: Identity | undefined): Explanation['found'] {
  if (identity === undefined) return undefined
  const found: NonNullable<Explanation['found']> = {}
  const { client, user } = identity
  if (client !== undefined) found.client = { id: client.id, authenticator: client.authenticator, scopes: [...client.scopes] }
  if (user !== undefined) {
    const names = new Set([...(route?.requireClaims ?? []).map(([c]) => c), ...gateway.identity.claims.map(([c]) => c), ...CONTEXT_CLAIMS])
    const claims: Record<string, unknown> = {}
    for (const name of names) if (user.claims[name] !== undefined) claims[name] = user.claims[name]
    found.user = { id: user.id, authenticator: user.authenticator, scopes: [...user.scopes], claims }
  }
  return found
}

/** The plain request explain decides on: from raw header lines when given (Node's joining), else the headers as given. */
export function explainedRequest (req: ExplainRequest): DecisionRequest {
  const method = req.method.toUpperCase()
  if (req.rawHeaders !== undefined) return decisionRequest({ method, target: req.url, rawHeaders: req.rawHeaders, peer: req.ip, tls: req.tls })
  const headers = req.headers ?? {}
  return {
    method,
    target: req.url,
    headers,
    upgrade: upgradeRequested(method, headers),
    peer: { address: req.ip },
    tls: req.tls ?? { encrypted: false, authorized: false }
  }
}

/**
 * What the gateway does with one request: the decision itself (src/decision/), run dry
 * (authenticators for real: a JWT is verified, an opaque token introspected, Redis asked;
 * no quota spent, nothing signed, nothing forwarded), with the route's configuration
 * around it for the operator.
 */
export async function explainRequest (gateway: Gateway, req: ExplainRequest): Promise<Explanation> {
  const request = explainedRequest(req)
  const { routing } = gateway.config.server
  const { method } = request
  const out: Explanation = { request: { method, url: req.url }, nearMatches: [], decision: { allowed: false, outcome: 'deny', stage: 'route', reason: '' } }
  const outcome = await decide(gateway, request, { dryRun: true })
  if (gateway.config.server.decisions !== undefined) out.decisionApi = doorSummary(gateway, outcome, gateway.clock())
  try {
    out.target = judgeTarget(req.url, routing)
  } catch {
    // The decision refused it at its guard: said below.
  }
  if (outcome.kind === 'endpoint') {
    if (outcome.authenticator === undefined) out.tokenEndpoint = outcome.path
    const whose = outcome.authenticator === undefined ? 'token endpoint' : `${outcome.endpoint} endpoint of authenticator ${outcome.authenticator}`
    out.decision = {
      allowed: true,
      outcome: 'endpoint',
      stage: 'route',
      reason: `${outcome.path} is the gateway's own ${whose}: answered by the gateway, never proxied`
    }
    return out
  }
  const { route } = outcome
  if (out.target !== undefined) out.nearMatches = nearMatches(gateway.routes, routing, method, out.target.path, route?.index)
  if (route !== undefined) describeRoute(gateway, route, out, outcome, request)
  out.found = foundOf(gateway, route, outcome.identity)
  if (out.identity !== undefined && outcome.identity !== undefined) {
    out.identity.principals = { client: outcome.identity.client?.id, user: outcome.identity.user?.id, authenticators: outcome.identity.authenticators }
  }

  if (route?.corsPolicy !== undefined) {
    const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined
    const answer = outcome.kind === 'preflight' ? outcome.answer : undefined
    const flat = answer?.headers ?? corsResponseHeaders(route.corsPolicy, request.headers)
    const headers: Array<[string, string]> = []
    for (let i = 0; i < flat.length; i += 2) headers.push([flat[i] as string, flat[i + 1] as string])
    out.cors = { preflight: answer !== undefined, origin, allowed: answer?.allowed ?? originAllowed(route.corsPolicy, origin), headers }
  }

  switch (outcome.kind) {
    case 'preflight':
      out.decision = outcome.answer.allowed
        ? {
            allowed: true,
            outcome: 'preflight',
            status: 204,
            stage: 'cors',
            reason: 'a CORS preflight of an allowed origin: answered 204 by the gateway, unauthenticated, never proxied'
          }
        : refusal('cors', new GatehouseError('cors_forbidden', outcome.answer.reason), undefined, [])
      return out
    case 'deny':
      out.decision = refusal(outcome.stage, outcome.error, outcome.thrown, outcome.responseHeaders)
      return out
    case 'login':
      out.decision = {
        allowed: false,
        outcome: 'login',
        status: 302,
        stage: 'authenticate',
        reason:
          'a page load (GET, Accept: text/html) is answered 302 to the OpenID Provider\'s login ' +
            `(authenticator ${outcome.authenticator.name}), then back to ${out.target?.path ?? req.url}; ` +
          `without it: ${outcome.error.status} ${outcome.error.code}: ${outcome.error.detail}`
      }
      return out
    case 'allow': {
      const { identity, route: served } = outcome
      const set = identityHeaders(gateway.identity, identity)
      if (out.identity !== undefined) out.identity.set = set
      const byGateway = new Set(set.map(([n]) => n))
      if (gateway.assertion !== undefined) byGateway.add(gateway.assertion.header)
      const headers = printableHeaders(gateway, outcome.headers, byGateway)
      const credentials = served.forwardCredentials ? [] : gateway.credentials.headers
      // A client's copy of an identity header is dropped even when the gateway sets its own under that name.
      const dropped = Object.keys(request.headers)
        .filter(h => credentials.includes(h) || gateway.identity.isStripped(h) || !headers.some(([n]) => n === h))
        .map(header => ({
          header,
          why: credentials.includes(header)
            ? 'a credential the gateway reads: not forwarded'
            : gateway.identity.isStripped(header)
              ? 'an identity header (identity.strip, or a name with _): only the gateway sets these'
              : 'hop-by-hop, or one the gateway sets itself'
        }))
      const judged = outcome.judgedPath === undefined ? {} : { judgedPath: outcome.judgedPath }
      out.upstream = { path: outcome.path, ...judged, webSocket: outcome.webSocket, headers, dropped }
      const who = [
        identity.client === undefined ? undefined : `client ${identity.client.id}`,
        identity.user === undefined ? undefined : `user ${identity.user.id}`
      ]
        .filter(Boolean)
        .join(' and ')
      out.decision = {
        allowed: true,
        outcome: 'allow',
        stage: 'identity',
        reason: `policy ${out.policy ?? ''} for ${method}: ` +
          `${who === '' ? 'anonymous' : who}${served.rateLimit === undefined ? '' : ' (rate limit not counted by explain)'}`
      }
      return out
    }
  }
}

/** The route's configuration, as the operator wrote it: what explain prints around the decision. */
function describeRoute (
  gateway: Gateway,
  route: RuntimeRoute,
  out: Explanation,
  outcome: Exclude<Outcome, { kind: 'endpoint' }>,
  request: DecisionRequest
): void {
  const { config } = gateway
  out.route = {
    index: route.index,
    match: route.match,
    methods: [...route.methods],
    upstream: route.upstream,
    upstreamUrl: config.upstreams.get(route.upstream)?.url ?? '',
    params: outcome.params,
    websocket: route.websocket !== undefined
  }
  out.policy = route.policy[request.method]
  out.authenticators = { client: route.client.map(n => summarise(gateway, n)), user: route.user.map(n => summarise(gateway, n)) }
  out.checks = {
    clients: route.clients === undefined ? undefined : [...route.clients],
    bindUserToClient: route.bindUserToClient,
    scopes: [...route.scopes],
    claims: Object.fromEntries(route.requireClaims)
  }
  const credentials = route.forwardCredentials ? { headers: [], query: [] } : gateway.credentials
  out.credentials = { headers: [...credentials.headers], query: [...credentials.query], forwarded: route.forwardCredentials }
  const plan = gateway.identity
  out.identity = { headers: { ...plan.names, claims: Object.fromEntries(plan.claims), assertion: config.identity.assertion?.header } }
  if (route.rateLimit !== undefined) {
    const { max, windowMs } = effectiveLimit(route.rateLimit, outcome.identity)
    out.rateLimit = {
      max,
      windowMs,
      by: route.rateLimit.by,
      key: limitKey(limitScope(route, gateway.routes), route.rateLimit.by, outcome.identity, outcome.clientIp),
      clientTier: outcome.identity?.client?.client.rateLimit !== undefined,
      onRedisError: route.rateLimit.onRedisError
    }
  }
}
