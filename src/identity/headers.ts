import { GatehouseError } from '../errors.js'
import type { IdentityConfig } from '../config/types.js'
import type { Identity } from '../policy/authenticate.js'
import { overrideParamMatcher } from './query-overrides.js'

/** The identity headers, compiled once: one regex and one set decide what is stripped. */
export interface IdentityPlan {
  isStripped (lowercaseName: string): boolean
  /** Whether a raw query parameter name is a method override `stripOverrides` names (`?_method`). */
  isOverrideParam (rawName: string): boolean
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
  const patterns = [...cfg.strip, ...cfg.stripOverrides.filter(e => !e.startsWith('?'))].map(globMatcher)
  return {
    // `_` is stripped because CGI/WSGI servers fold `Remote_User` into the same variable as `Remote-User`.
    isStripped: name => {
      if (name.includes('_')) return true
      const folded = fold(name)
      if (exact.has(folded)) return true
      for (let i = 0; i < patterns.length; i++) if ((patterns[i] as (name: string) => boolean)(folded)) return true
      return false
    },
    isOverrideParam: overrideParamMatcher(cfg.stripOverrides),
    names,
    claims
  }
}

/** A user or client id is one header value, whole: visible ASCII without a comma (a list separator), 1 to 256 characters. */
const ID = /^[\x21-\x2B\x2D-\x7E]{1,256}$/
/** An RFC 6749 scope-token: a scope the gateway counted as one never reads as two upstream. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/
/** One value of a mapped claim: printable ASCII or Latin-1, no comma, no space at either end, at most 1024 characters. */
const CLAIM_ELEMENT = /^[\x21-\x2B\x2D-\x7E\xA1-\xFF](?:[\x20-\x2B\x2D-\x7E\xA0-\xFF]{0,1022}[\x21-\x2B\x2D-\x7E\xA1-\xFF])?$/

function unforwardable (what: string, rule: string): GatehouseError {
  return new GatehouseError('invalid_token', `the token's ${what} cannot be told to the upstream: ${rule}`, { principal: 'user' })
}

/** A mapped claim as its header value: a scalar, or a list joined with `,`; undefined when absent. */
function claimValue (claim: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const elements = Array.isArray(value) ? value : [value]
  for (const e of elements) {
    if ((typeof e !== 'string' && typeof e !== 'number' && typeof e !== 'boolean') || !CLAIM_ELEMENT.test(String(e))) {
      throw unforwardable(`${claim} claim`, 'each value is a string, number or boolean of printable characters without a comma or surrounding spaces')
    }
  }
  return elements.join(',')
}

/**
 * The headers that tell the upstream who is calling, computed once per request after
 * authentication. Every value has one allowed form, checked here: an upstream reads
 * exactly what the gateway decided on (no header split, no value its parser trims or
 * splits into two), and anything else is refused with 401, never forwarded.
 */
export function identityHeaders (plan: IdentityPlan, identity: Identity): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const { user, client } = identity
  if (user !== undefined) {
    if (!ID.test(user.id)) throw unforwardable('user id', 'visible ASCII without a comma or spaces, at most 256 characters')
    out.push([plan.names.user, user.id])
  }
  if (client !== undefined) {
    if (!ID.test(client.id)) throw unforwardable('client id', 'visible ASCII without a comma or spaces, at most 256 characters')
    out.push([plan.names.client, client.id])
  }
  const scopes = user?.scopes ?? client?.scopes
  if (scopes !== undefined && scopes.length > 0) {
    for (const scope of scopes) if (!SCOPE.test(scope)) throw unforwardable('scope', 'each scope is an RFC 6749 scope-token (no spaces, quotes or backslashes)')
    out.push([plan.names.scopes, scopes.join(' ')])
  }
  if (identity.authenticators.length > 0) out.push([plan.names.auth, identity.authenticators.join(',')])
  if (user !== undefined) {
    for (const [claim, header] of plan.claims) {
      const value = claimValue(claim, user.claims[claim])
      if (value !== undefined && value !== '') out.push([header, value])
    }
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
