import { createHash } from 'node:crypto'
import type { GatewayConfig } from '../config/types.js'

/**
 * The user claims the request path reads once a token is verified: those `identity.claims`
 * maps to headers and those a route's `require.claims` checks. A cached principal keeps
 * only these (besides its id, scopes, token client and expiry), never a whole JWT payload or
 * introspection answer: the cache's size then depends on the config, not on the tokens.
 */
export function claimsToKeep (config: Pick<GatewayConfig, 'identity' | 'routes'>): string[] {
  const names = new Set<string>()
  for (const [claim] of config.identity.claims) names.add(claim)
  for (const route of config.routes) for (const [claim] of route.requireClaims) names.add(claim)
  return [...names].sort()
}

/** Short and stable: tells a cached principal made for another set of kept claims (another config) from one made for this one. */
export function keptClaimsTag (names: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(names)).digest('hex').slice(0, 8)
}

/** The named claims the source has, or undefined when it has none of them. */
export function pickClaims (source: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined
  for (const name of names) {
    if (!Object.hasOwn(source, name) || source[name] === undefined) continue
    out ??= Object.create(null) as Record<string, unknown>
    out[name] = source[name]
  }
  return out
}

/** The claims of a principal that keeps none: shared, read-only. */
export const NO_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null) as Record<string, unknown>)
