import type { RawAuthenticator } from './schema.js'
import { parseDuration, parseSize } from './units.js'

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const
const KNOWN = new Set<string>([...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS])
const HMAC = new Set<string>(HMAC_ALGORITHMS)

/** RFC 7518 §3.2: an HMAC key shorter than the hash output is brute-forceable. */
const MIN_SECRET_BYTES = 32

export type JwtSpec = RawAuthenticator<'jwt'>

/** The jwt entry with every default applied, in the units the request path uses. */
export interface JwtOptions {
  issuer: string
  /** Undefined only when the config says `audience: false`. */
  audience: string | string[] | undefined
  algorithms: string[]
  clockToleranceS: number
  maxTokenSize: number
  userClaim: string
  /** Claims read for scopes, first present wins: `scope` then `scp` unless one is configured. */
  scopeClaims: string[]
  requiredClaims: Array<[claim: string, value: string | number | boolean]>
  cooldownMs: number
  timeoutMs: number
}

export function jwtOptions (spec: JwtSpec): JwtOptions {
  const secret = spec.secret !== undefined && spec.secret !== ''
  return {
    issuer: spec.issuer,
    audience: spec.audience === false ? undefined : spec.audience,
    algorithms: spec.algorithms ?? (secret ? [...HMAC_ALGORITHMS] : [...ASYMMETRIC_ALGORITHMS]),
    clockToleranceS: spec.clockTolerance === undefined ? 0 : Math.floor(parseDuration(spec.clockTolerance) / 1000),
    maxTokenSize: spec.maxTokenSize === undefined ? 8192 : parseSize(spec.maxTokenSize),
    userClaim: spec.userClaim ?? 'sub',
    scopeClaims: spec.scopeClaim === undefined ? ['scope', 'scp'] : [spec.scopeClaim],
    requiredClaims: Object.entries(spec.requiredClaims ?? {}),
    cooldownMs: spec.jwksCooldown === undefined ? 30_000 : parseDuration(spec.jwksCooldown),
    timeoutMs: spec.timeout === undefined ? 5000 : parseDuration(spec.timeout)
  }
}

/**
 * Checks the loader cannot express in the schema, as [key path, message]: the algorithm
 * list must match the key kind, or an HMAC "secret" could be a published public key.
 */
export function jwtSpecIssues (spec: JwtSpec): Array<[path: Array<string | number>, message: string]> {
  const out: Array<[Array<string | number>, string]> = []
  const secret = spec.secret !== undefined && spec.secret !== ''
  for (const [i, alg] of (spec.algorithms ?? []).entries()) {
    if (!KNOWN.has(alg)) out.push([['algorithms', i], `unsupported algorithm "${alg}" (one of ${[...KNOWN].join(', ')})`])
    else if (HMAC.has(alg) && !secret) out.push([['algorithms', i], `${alg} needs a shared secret: with a public key anyone could sign tokens`])
    else if (!HMAC.has(alg) && secret) out.push([['algorithms', i], `${alg} needs jwksUri or publicKey, not a shared secret`])
  }
  if (spec.algorithms !== undefined && spec.algorithms.length === 0) out.push([['algorithms'], 'must list at least one algorithm'])
  if (secret && Buffer.byteLength(spec.secret as string) < MIN_SECRET_BYTES) out.push([['secret'], `must be at least ${MIN_SECRET_BYTES} bytes`])
  if (spec.jwksUri !== undefined && spec.jwksUri !== '') {
    let ok = false
    try {
      ok = /^https?:$/.test(new URL(spec.jwksUri).protocol)
    } catch {}
    if (!ok) out.push([['jwksUri'], 'must be an http:// or https:// URL'])
  }
  if (spec.maxTokenSize !== undefined && parseSize(spec.maxTokenSize) === 0) out.push([['maxTokenSize'], 'must be more than 0'])
  return out
}
