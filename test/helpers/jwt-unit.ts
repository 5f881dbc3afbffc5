import { SignJWT, type JWTPayload } from 'jose'
import { AUDIENCE, ISSUER, b64u, type TestKey } from './jwt.js'

/** The HS256 secret of the `idp` authenticator `jwtYaml` writes unless told otherwise. */
export const JWT_SECRET = 'unit-test-hs256-secret-0123456789abcdef'

/**
 * A config with one jwt authenticator, `idp` (issuer and audience of test/helpers/jwt.ts, the
 * shared secret above), its fields overridden by `spec` (undefined drops one), after `top` (more
 * top-level YAML, e.g. identity claims).
 */
export function jwtYaml (spec: Record<string, unknown> = {}, top = ''): string {
  const idp = { type: 'jwt', issuer: ISSUER, audience: AUDIENCE, secret: JWT_SECRET, ...spec }
  return `${top}authenticators:
  idp: ${JSON.stringify(idp)}
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, user: [idp], policy: user }
`
}

/**
 * A token as the IdP issues it at the test clock's time (iss, aud, sub alice, iat now, exp in
 * 10 minutes), plus `claims` (undefined drops one); signed by `key`, or HS256 with the secret.
 */
export async function signAt (clock: () => number, key?: TestKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(clock() / 1000)
  const jwt = new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 600, ...claims })
  if (key === undefined) return await jwt.setProtectedHeader({ alg: 'HS256', ...header }).sign(new TextEncoder().encode(JWT_SECRET))
  return await jwt.setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey)
}

/** An unsigned token (`alg: none`) with the usual claims at the clock's time. */
export function unsignedAt (clock: () => number, claims: JWTPayload = {}): string {
  const now = Math.floor(clock() / 1000)
  return `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 600, ...claims })}.`
}

export const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` })
