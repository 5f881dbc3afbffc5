import { GatehouseError } from '../errors.js'
import type { IdentityConfig } from '../config/types.js'
import type { Identity } from '../policy/authenticate.js'

/** The identity headers, compiled once: one regex and one set decide what is stripped. */
export interface IdentityPlan {
  isStripped (lowercaseName: string): boolean
  names: { user: string, client: string, scopes: string, auth: string }
  claims: ReadonlyArray<readonly [claim: string, header: string]>
}

/**
 * One strip pattern as a plain string test where it can be one (`Remote-*` is a prefix),
 * a regex only for a pattern with inner wildcards: this runs for every header of every request.
 */
function globMatcher (glob: string): (name: string) => boolean {
  const lower = glob.toLowerCase().split('*').map(fold).join('*')
  const stars = lower.split('*').length - 1
  if (stars === 0) return name => name === lower
  if (stars === 1 && lower.endsWith('*')) {
    const prefix = lower.slice(0, -1)
    return name => name.startsWith(prefix)
  }
  if (stars === 1 && lower.startsWith('*')) {
    const suffix = lower.slice(1)
    return name => name.endsWith(suffix)
  }
  const re = new RegExp(`^${lower.split('*').map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
  return name => re.test(name)
}

const UNUSUAL = /[^a-z0-9-]/
const NOT_ALPHANUMERIC = /[^a-z0-9]/g

/**
 * A header name as a CGI layer reads it: every character that is not a letter or digit is
 * the same one there (`Remote.User`, `Remote~User` and `Remote-User` are all `REMOTE_USER`),
 * so names are compared folded. Most names need no work: only letters, digits and `-`.
 */
function fold (lowercaseName: string): string {
  return UNUSUAL.test(lowercaseName) ? lowercaseName.replace(NOT_ALPHANUMERIC, '-') : lowercaseName
}

export function compileIdentityPlan (cfg: IdentityConfig): IdentityPlan {
  const names = {
    user: cfg.headers.user.toLowerCase(),
    client: cfg.headers.client.toLowerCase(),
    scopes: cfg.headers.scopes.toLowerCase(),
    auth: cfg.headers.auth.toLowerCase()
  }
  const claims = cfg.claims.map(([claim, header]) => [claim, header.toLowerCase()] as const)
  const exact = new Set([...Object.values(names), ...claims.map(([, h]) => h)].map(fold))
  if (cfg.assertion !== undefined) exact.add(fold(cfg.assertion.header.toLowerCase()))
  const patterns = [...cfg.strip, ...cfg.stripOverrides].map(globMatcher)
  return {
    // `_` is stripped because CGI/WSGI servers fold `Remote_User` into the same variable as `Remote-User`.
    isStripped: name => {
      if (name.includes('_')) return true
      const folded = fold(name)
      if (exact.has(folded)) return true
      for (const matches of patterns) if (matches(folded)) return true
      return false
    },
    names,
    claims
  }
}

const UNSAFE_VALUE = /[\0\r\n]/

function claimValue (value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value)) return value.map(v => String(v)).join(',')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/**
 * The headers that tell the upstream who is calling, computed once per request after
 * authentication. A value that could split a header is refused, never forwarded.
 */
export function identityHeaders (plan: IdentityPlan, identity: Identity): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const push = (name: string, value: string | undefined): void => {
    if (value === undefined || value === '') return
    if (UNSAFE_VALUE.test(value)) throw new GatehouseError('invalid_token', `a value for ${name} contains a line break`, { principal: 'user' })
    out.push([name, value])
  }
  push(plan.names.user, identity.user?.id)
  push(plan.names.client, identity.client?.id)
  const scopes = identity.user?.scopes ?? identity.client?.scopes
  if (scopes !== undefined) push(plan.names.scopes, scopes.join(' '))
  push(plan.names.auth, identity.authenticators.join(','))
  if (identity.user !== undefined) {
    for (const [claim, header] of plan.claims) push(header, claimValue(identity.user.claims[claim]))
  }
  return out
}

const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/

/** An incoming `X-Request-Id` is kept when it is a plain token, so ids can be followed across services. */
export function acceptRequestId (value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : undefined
}

/** Removes the named parameters from a query string (consumed `api_key` and the like). */
export function withoutQueryParams (query: string, names: readonly string[]): string {
  if (names.length === 0 || query === '') return query
  const params = new URLSearchParams(query)
  for (const n of names) params.delete(n)
  return params.toString()
}
