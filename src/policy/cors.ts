/**
 * CORS as the Fetch standard has a server answer it (https://fetch.spec.whatwg.org/#http-cors-protocol):
 * which origins may read a route's answers, and what a preflight is told. Pure: the HTTP
 * layer adds the headers these functions return, and answers a preflight itself.
 */
import type { CorsConfig } from '../config/types.js'
import { parseOrigin } from '../config/cors-origin.js'

type Headers = Readonly<Record<string, string | string[] | undefined>>

/** A route's CORS, compiled once at load. */
export interface CorsPolicy {
  /** `origins: ["*"]`: every origin may read, answered with a literal `*` (credentials are then a config error). */
  readonly anyOrigin: boolean
  readonly exact: ReadonlySet<string>
  readonly patterns: readonly RegExp[]
  /** Lower-case methods a preflight may ask for; the route's own when not configured. */
  readonly methods: readonly string[]
  /** Lower-case request headers a preflight may ask for; undefined: whatever it asks for. */
  readonly headers: readonly string[] | undefined
  readonly exposeHeaders: readonly string[]
  readonly credentials: boolean
  readonly maxAgeS: number | undefined
}

/** Compiles a validated `cors:`; `routeMethods` are what preflights may ask for when `methods` is not set. */
export function compileCors (config: CorsConfig, routeMethods: readonly string[]): CorsPolicy {
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const entry of config.origins) {
    if (entry === '*') continue
    const parsed = parseOrigin(entry)
    if (typeof parsed === 'string') throw new Error(parsed)
    if ('exact' in parsed) exact.add(parsed.exact)
    else patterns.push(parsed.pattern)
  }
  return {
    anyOrigin: config.origins.includes('*'),
    exact,
    patterns,
    methods: (config.methods ?? routeMethods).map(m => m.toLowerCase()),
    headers: config.headers?.map(h => h.toLowerCase()),
    exposeHeaders: config.exposeHeaders,
    credentials: config.credentials,
    maxAgeS: config.maxAgeS
  }
}

function single (value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** Whether `origin` (an Origin header's value) may read the route's answers. */
export function originAllowed (policy: CorsPolicy, origin: string | undefined): boolean {
  if (origin === undefined || origin === 'null') return false
  if (policy.anyOrigin) return true
  return policy.exact.has(origin) || policy.patterns.some(p => p.test(origin))
}

/** A CORS preflight: OPTIONS with an Origin and the method the real request will use. */
export function isPreflight (method: string, headers: Headers): boolean {
  return method === 'OPTIONS' && single(headers.origin) !== undefined && single(headers['access-control-request-method']) !== undefined
}

/**
 * The headers every answer to an actual request carries, refusals included (so the page can
 * read its 401 or 403): none but `Vary: Origin` for an origin not allowed.
 */
export function corsResponseHeaders (policy: CorsPolicy, headers: Headers): string[] {
  const origin = single(headers.origin)
  // With a literal `*` the answer is the same whatever the Origin: no Vary needed.
  if (policy.anyOrigin) {
    return origin === undefined ? [] : ['access-control-allow-origin', '*', ...expose(policy)]
  }
  const out = ['vary', 'Origin']
  if (!originAllowed(policy, origin)) return out
  out.push('access-control-allow-origin', origin as string)
  if (policy.credentials) out.push('access-control-allow-credentials', 'true')
  out.push(...expose(policy))
  return out
}

function expose (policy: CorsPolicy): string[] {
  return policy.exposeHeaders.length === 0 ? [] : ['access-control-expose-headers', policy.exposeHeaders.join(', ')]
}

export type PreflightAnswer =
  | { allowed: true, headers: string[] }
  | { allowed: false, reason: string, headers: string[] }

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * The answer to a preflight: the headers of a 204, or why it is refused (then no CORS header
 * at all: the browser will not send the request).
 */
export function answerPreflight (policy: CorsPolicy, headers: Headers): PreflightAnswer {
  const vary = ['vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers']
  const origin = single(headers.origin)
  if (!originAllowed(policy, origin)) return { allowed: false, reason: `origin ${String(origin)} is not allowed by the route's cors`, headers: vary }
  const method = (single(headers['access-control-request-method']) ?? '').trim()
  if (!TOKEN.test(method) || !policy.methods.includes(method.toLowerCase())) {
    return { allowed: false, reason: `method ${method.slice(0, 20)} is not allowed by the route's cors`, headers: vary }
  }
  const asked = (single(headers['access-control-request-headers']) ?? '').split(',').map(h => h.trim().toLowerCase()).filter(h => h !== '')
  const bad = asked.find(h => !TOKEN.test(h) || (policy.headers !== undefined && !policy.headers.includes(h)))
  if (bad !== undefined) return { allowed: false, reason: `request header ${bad.slice(0, 40)} is not allowed by the route's cors`, headers: vary }
  const out = [...vary, 'access-control-allow-origin', policy.anyOrigin ? '*' : origin as string]
  if (policy.credentials) out.push('access-control-allow-credentials', 'true')
  // Methods are named as the method tokens the browser compares case-sensitively.
  out.push('access-control-allow-methods', policy.methods.map(m => m.toUpperCase()).join(', '))
  const allowHeaders = policy.headers ?? asked
  if (allowHeaders.length > 0) out.push('access-control-allow-headers', allowHeaders.join(', '))
  if (policy.maxAgeS !== undefined) out.push('access-control-max-age', String(policy.maxAgeS))
  return { allowed: true, headers: out }
}

/**
 * Whether a request from `origin` may carry the browser's cookies to this route as if it came
 * from the gateway's own site: only an origin the route lets read its answers with credentials.
 */
export function credentialedOrigin (policy: CorsPolicy | undefined, origin: string | undefined): boolean {
  return policy !== undefined && policy.credentials && originAllowed(policy, origin)
}
