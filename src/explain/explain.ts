import type { IncomingMessage } from 'node:http'
import type { AuthenticatorConfig } from '../config/types.js'
import type { PolicyName } from '../config/schema.js'
import type { Gateway, RuntimeRoute } from '../gateway.js'
import { GatehouseError, renderChallenge, toGatehouseError, toProblem, type Problem } from '../errors.js'
import { judgeTarget, type RequestTarget } from '../policy/request-path.js'
import { buildRouteTable, judgeParams } from '../policy/route-table.js'
import { authenticate, type Identity } from '../policy/authenticate.js'
import { authorize } from '../policy/authorize.js'
import { loginFor } from '../policy/login-redirect.js'
import { answerPreflight, corsResponseHeaders, isPreflight, originAllowed } from '../policy/cors.js'
import { effectiveLimit, limitKey, limitScope } from '../policy/rate-limit.js'
import { identityHeaders, withoutQueryParams } from '../identity/headers.js'
import { withoutOverrideParams } from '../identity/query-overrides.js'
import { upstreamRequestHeaders } from '../proxy/headers.js'
import { requestTrace } from '../proxy/trace-context.js'
import { peerOf } from '../proxy/trust.js'
import { nearMatches, type NearMatch } from './near-matches.js'

export interface ExplainRequest {
  method: string
  /** The request target as a client sends it: `/path?query`. */
  url: string
  /** Lowercased names. */
  headers: Record<string, string | string[]>
  /** The direct peer's address (a proxy's, when X-Forwarded-For is sent and trusted). */
  ip: string
}

export interface AuthenticatorSummary {
  name: string
  type: string
  /** The credential it looks for: `header authorization`, `query api_key`, `TLS client certificate`. */
  reads: string[]
  /** The settings that decide what it accepts (issuer, audience, endpoint…); never a secret. */
  settings: Record<string, unknown>
}

export type Stage = 'path' | 'route' | 'cors' | 'guard' | 'authenticate' | 'authorize' | 'identity'

export interface Decision {
  allowed: boolean
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
  route?: { index: number, match: string, methods: string[], upstream: string, upstreamUrl: string, params: Record<string, string | undefined>, websocket: boolean }
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
  /**
   * The route's CORS for this request: whether its Origin may read the answer, and the
   * headers every answer gets (a preflight's: the 204's); undefined when the route has none.
   */
  cors?: { preflight: boolean, origin: string | undefined, allowed: boolean, headers: Array<[string, string]> }
  /** What goes upstream for an allowed request: the path (rewritten from `judgedPath` by the route's rewrite) and headers, credential values masked. */
  upstream?: { path: string, judgedPath?: string, headers: Array<[string, string]>, dropped: Array<{ header: string, why: string }> }
  decision: Decision
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
  return name === 'authorization' || name === 'cookie' || gateway.credentials.headers.includes(name)
}

function pairs (flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string])
  return out
}

function refusal (stage: Stage, err: unknown): Decision {
  const e = toGatehouseError(err)
  const by = e.authenticator === undefined ? '' : ` (authenticator ${e.authenticator})`
  // For the operator, an internal failure's own message: the client would only see the generic detail.
  const cause = e.code === 'internal_error' && err instanceof Error ? `: ${err.message}` : ''
  const headers: Array<[string, string]> = Object.entries(e.headers ?? {})
  if (e.challenges !== undefined && (e.status === 401 || e.status === 403)) for (const c of e.challenges) headers.push(['www-authenticate', renderChallenge(c)])
  return { allowed: false, stage, reason: `${e.status} ${e.code}: ${e.detail}${by}${cause}`, problem: toProblem(e, 'explain'), responseHeaders: headers }
}

/**
 * What the gateway does with one request, from its config and its real request path: the
 * path guard, the router, the route's authenticators (run for real: a JWT is verified, an
 * opaque token introspected, Redis asked), authorization and the identity headers. Nothing
 * is forwarded and no rate-limit counter is spent.
 */
export async function explainRequest (gateway: Gateway, req: ExplainRequest): Promise<Explanation> {
  const { config } = gateway
  const { routing } = config.server
  const method = req.method.toUpperCase()
  const out: Explanation = { request: { method, url: req.url }, nearMatches: [], decision: { allowed: false, stage: 'path', reason: '' } }

  let target: RequestTarget
  try {
    target = judgeTarget(req.url, routing)
  } catch (err) {
    out.decision = refusal('path', err)
    return out
  }
  out.target = target

  const table = buildRouteTable(gateway.routes, routing)
  // A preflight the route does not list OPTIONS for is answered by the route of the method it asks about.
  const preflight = isPreflight(method, req.headers)
  const asked = req.headers['access-control-request-method']
  let hit = table.find(method, req.url)
  if (preflight && typeof asked === 'string' && hit === undefined) hit = table.find(asked.toUpperCase(), req.url)
  if (hit?.kind === 'token-endpoint') {
    out.tokenEndpoint = hit.path
    out.decision = { allowed: true, stage: 'route', reason: `${hit.path} is the gateway's own token endpoint: answered by the gateway, never proxied` }
    return out
  }
  const route = hit === undefined ? undefined : gateway.routes.find(r => r.index === hit.index) as RuntimeRoute
  out.nearMatches = nearMatches(gateway.routes, routing, method, target.path, route?.index)
  if (route === undefined || hit?.kind !== 'route') {
    out.decision = refusal('route', new GatehouseError('not_found', `no route for ${method} ${target.path}`))
    return out
  }
  const upstream = config.upstreams.get(route.upstream)
  out.route = { index: route.index, match: route.match, methods: [...route.methods], upstream: route.upstream, upstreamUrl: upstream?.url ?? '', params: hit.params, websocket: route.websocket !== undefined }
  try {
    judgeParams(hit.params, routing)
  } catch (err) {
    out.decision = refusal('path', err)
    return out
  }
  if (route.corsPolicy !== undefined) {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined
    const answer = preflight ? answerPreflight(route.corsPolicy, req.headers) : undefined
    const flat = answer === undefined ? corsResponseHeaders(route.corsPolicy, req.headers) : answer.headers
    out.cors = { preflight, origin, allowed: answer?.allowed ?? originAllowed(route.corsPolicy, origin), headers: pairs(flat) }
    if (answer !== undefined) {
      out.decision = answer.allowed
        ? { allowed: true, stage: 'cors', reason: 'a CORS preflight of an allowed origin: answered 204 by the gateway, unauthenticated, never proxied' }
        : refusal('cors', new GatehouseError('cors_forbidden', answer.reason))
      return out
    }
  }
  out.policy = route.policy[method]
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
  out.identity = {
    headers: {
      ...plan.names,
      claims: Object.fromEntries(plan.claims),
      assertion: config.identity.assertion?.header
    }
  }

  const fakeReq = { headers: req.headers, socket: { remoteAddress: req.ip }, connection: { remoteAddress: req.ip } } as unknown as IncomingMessage
  const peer = peerOf(fakeReq, gateway.trust)
  const limitOf = (identity: Identity | undefined): void => {
    if (route.rateLimit === undefined) return
    const { max, windowMs } = effectiveLimit(route.rateLimit, identity)
    out.rateLimit = {
      max,
      windowMs,
      by: route.rateLimit.by,
      key: limitKey(limitScope(route, gateway.routes), route.rateLimit.by, identity, peer.clientIp),
      clientTier: identity?.client?.client.rateLimit !== undefined,
      onRedisError: route.rateLimit.onRedisError
    }
  }
  limitOf(undefined)

  // The pipeline's own guard, in its order (http/pipeline.ts, step 1).
  const length = req.headers['content-length']
  if (length !== undefined && Number(length) > config.server.bodyLimit) {
    out.decision = refusal('guard', new GatehouseError('payload_too_large', `the request body is larger than ${config.server.bodyLimit} bytes`))
    return out
  }
  const upgrade = typeof req.headers.upgrade === 'string' && req.headers.upgrade.toLowerCase() === 'websocket'
  if (upgrade && route.websocket === undefined) {
    out.decision = refusal('guard', new GatehouseError('not_found', `${route.match} does not carry WebSockets`))
    return out
  }

  let identity: Identity
  try {
    identity = await authenticate(route, method, { method, headers: req.headers, query: target.query, ip: peer.clientIp, upgrade })
  } catch (err) {
    out.decision = refusal('authenticate', err)
    // A page load without a browser session is not answered with the problem: it is sent to log in.
    const login = upgrade ? undefined : loginFor(route, method, req.headers, err)
    if (login !== undefined) out.decision.reason += `; as a page load (GET, Accept: text/html) it is answered 302 to the OpenID Provider's login (authenticator ${login.name}), then back to ${target.path}`
    return out
  }
  out.identity.principals = { client: identity.client?.id, user: identity.user?.id, authenticators: identity.authenticators }
  limitOf(identity)
  try {
    authorize(route, identity)
  } catch (err) {
    out.decision = refusal('authorize', err)
    return out
  }
  let set: Array<[string, string]>
  try {
    set = identityHeaders(plan, identity)
  } catch (err) {
    out.decision = refusal('identity', err)
    return out
  }
  out.identity.set = [...set]
  if (gateway.assertion !== undefined) set.push([gateway.assertion.header, `<JWT signed by the gateway, aud ${route.upstream}>`])

  const upstreamHost = upstream === undefined ? '' : new URL(upstream.url).host
  const trace = requestTrace(req.headers)
  const upstreamFlat = upstreamRequestHeaders(plan, req.headers, set, credentials.headers, { upstreamHost, peerIp: peer.peerIp, peerTrusted: peer.peerTrusted, proto: 'http', host: typeof req.headers.host === 'string' ? req.headers.host : undefined, requestId: 'explain', traceparent: trace.traceparent, tracestate: trace.tracestate })
  const headers: Array<[string, string]> = []
  for (const [name, value] of pairs(upstreamFlat)) headers.push([name, masked(gateway, name) && !set.some(([n]) => n === name) ? '<redacted>' : value])
  // A client's copy of an identity header is dropped even when the gateway sets its own under that name.
  const dropped = Object.keys(req.headers).filter(h => credentials.headers.includes(h) || plan.isStripped(h) || !headers.some(([n]) => n === h)).map(header => ({
    header,
    why: credentials.headers.includes(header)
      ? 'a credential the gateway reads: not forwarded'
      : plan.isStripped(header)
        ? 'an identity header (identity.strip, or a name with _): only the gateway sets these'
        : 'hop-by-hop, or one the gateway sets itself'
  }))
  const query = withoutOverrideParams(withoutQueryParams(target.query, credentials.query), plan.isOverrideParam)
  const path = route.rewritePath === undefined ? target.path : route.rewritePath(target.path)
  out.upstream = { path: query === '' ? path : `${path}?${query}`, ...(path === target.path ? {} : { judgedPath: target.path }), headers, dropped }
  const who = [identity.client === undefined ? undefined : `client ${identity.client.id}`, identity.user === undefined ? undefined : `user ${identity.user.id}`].filter(Boolean).join(' and ')
  out.decision = { allowed: true, stage: 'identity', reason: `policy ${out.policy ?? ''} for ${method}: ${who === '' ? 'anonymous' : who}${route.rateLimit === undefined ? '' : ' (rate limit not counted by explain)'}` }
  return out
}
