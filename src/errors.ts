/**
 * The one registry of errors the gateway itself answers with. Each code has a stable
 * status and title; the body is RFC 9457 problem+json (see docs/errors.md).
 */

export const ERRORS = {
  missing_credentials: { status: 401, title: 'Missing credentials' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  invalid_token: { status: 401, title: 'Invalid token' },
  insufficient_scope: { status: 403, title: 'Insufficient scope' },
  forbidden: { status: 403, title: 'Forbidden' },
  client_mismatch: { status: 403, title: 'Client and user token do not belong together' },
  csrf_failed: { status: 403, title: 'Cross-site request refused' },
  cors_forbidden: { status: 403, title: 'Cross-origin request not allowed' },
  not_found: { status: 404, title: 'Not found' },
  request_timeout: { status: 408, title: 'Request timeout' },
  bad_request: { status: 400, title: 'Bad request' },
  ambiguous_path: { status: 400, title: 'Ambiguous path' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  expectation_failed: { status: 417, title: 'Expectation failed' },
  misdirected_request: { status: 421, title: 'Misdirected request' },
  headers_too_large: { status: 431, title: 'Request header fields too large' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  upstream_unavailable: { status: 502, title: 'Upstream unavailable' },
  auth_unavailable: { status: 503, title: 'Authentication unavailable' },
  overloaded: { status: 503, title: 'Overloaded' },
  upstream_timeout: { status: 504, title: 'Upstream timeout' }
} as const satisfies Record<string, { status: number, title: string }>

export type ErrorCode = keyof typeof ERRORS

/** One `WWW-Authenticate` challenge: scheme plus auth-params (RFC 9110 §11.6.1). */
export interface Challenge {
  scheme: string
  params: Record<string, string>
}

export interface GatehouseErrorOptions {
  cause?: unknown
  /** Challenges for a 401/403; the HTTP layer renders one header each. */
  challenges?: Challenge[]
  /** Extra response headers (Retry-After, RateLimit-*). */
  headers?: Record<string, string>
  /** Which principal a 401 is about: decides the challenges offered when none are given. */
  principal?: 'client' | 'user'
  /** The authenticator that decided, for logs and metrics. */
  authenticator?: string
}

export class GatehouseError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly title: string
  /** Safe to show to the caller: never contains a credential. */
  readonly detail: string
  readonly challenges: Challenge[] | undefined
  readonly headers: Record<string, string> | undefined
  readonly principal: 'client' | 'user' | undefined
  readonly authenticator: string | undefined

  constructor (code: ErrorCode, detail: string, options: GatehouseErrorOptions = {}) {
    super(`${code}: ${detail}`, { cause: options.cause })
    this.name = 'GatehouseError'
    this.code = code
    this.status = ERRORS[code].status
    this.title = ERRORS[code].title
    this.detail = detail
    this.challenges = options.challenges
    this.headers = options.headers
    this.principal = options.principal
    this.authenticator = options.authenticator
  }
}

export function isGatehouseError (err: unknown): err is GatehouseError {
  return err instanceof GatehouseError
}

const TOKEN68_SAFE = /^[\x20-\x7e]*$/

/** Renders a challenge as a `WWW-Authenticate` value; quotes are escaped, control characters dropped. */
export function renderChallenge (challenge: Challenge): string {
  const params = Object.entries(challenge.params).map(([k, v]) => {
    const safe = TOKEN68_SAFE.test(v) ? v : v.replace(/[^\x20-\x7e]/g, '')
    return `${k}="${safe.replace(/["\\]/g, '\\$&')}"`
  })
  return params.length > 0 ? `${challenge.scheme} ${params.join(', ')}` : challenge.scheme
}

export interface Problem {
  type: string
  title: string
  status: number
  code: ErrorCode
  detail: string
  requestId: string
}

export function toProblem (err: GatehouseError, requestId: string): Problem {
  return {
    type: `urn:gatehouse:problem:${err.code}`,
    title: err.title,
    status: err.status,
    code: err.code,
    detail: err.detail,
    requestId
  }
}

/** A refusal as the client gets it: status, headers as a flat `[name, value, …]` list, and the problem+json body. */
export interface ProblemAnswer {
  status: number
  headers: string[]
  body: string
  problem: Problem
}

/**
 * The one rendering of a refusal as problem+json: every listener (public, admin, the
 * process's own fallbacks) and explain answer through it. `extra` headers (the request id,
 * rate-limit state) come after the problem's own and lose to them: a 429's Retry-After wins.
 * No stack, token or secret ever reaches the body.
 */
export function problemAnswer (err: GatehouseError, requestId: string, extra: readonly string[] = []): ProblemAnswer {
  const problem = toProblem(err, requestId)
  const body = JSON.stringify(problem)
  const own = err.headers ?? {}
  const headers = ['content-type', 'application/problem+json; charset=utf-8', 'cache-control', 'no-store', 'content-length', String(Buffer.byteLength(body))]
  for (let i = 0; i < extra.length; i += 2) {
    const name = extra[i] as string
    if (!(name in own)) headers.push(name, extra[i + 1] as string)
  }
  for (const [k, v] of Object.entries(own)) headers.push(k, v)
  if (err.challenges !== undefined && (err.status === 401 || err.status === 403)) {
    for (const c of err.challenges) headers.push('www-authenticate', renderChallenge(c))
  }
  return { status: err.status, headers, body, problem }
}

/**
 * Any error to one of ours. HTTP-layer errors carry a `statusCode` (body too large,
 * malformed request); anything else is internal and its message is not shown.
 */
export function toGatehouseError (err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err
  const status = (err as { statusCode?: unknown } | null)?.statusCode
  if (status === 413) return new GatehouseError('payload_too_large', 'the request body is larger than the gateway accepts', { cause: err })
  if (typeof status === 'number' && status >= 400 && status < 500) return new GatehouseError('bad_request', 'the request is malformed', { cause: err })
  return new GatehouseError('internal_error', 'the gateway failed to handle the request', { cause: err })
}
