import { SignJWT } from 'jose'

export const USER_SECRET = 'test-user-secret-of-at-least-32-bytes-long'
export const USER_ISSUER = 'https://idp.test/'

/** The jwt authenticator stanza matching userToken(). */
export const USER_AUTH_YAML = `  idp: { type: jwt, issuer: "${USER_ISSUER}", secret: "${USER_SECRET}", algorithms: [HS256], audience: api }\n`

/** An HS256 access token for `sub`, as an IdP sharing a secret with the gateway would issue. */
export async function userToken (sub: string, claims: Record<string, unknown> = {}): Promise<string> {
  return await new SignJWT({ scope: 'orders:read', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(USER_ISSUER)
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(USER_SECRET))
}

/**
 * The routing tests' gateway: `/api/*` public in front of `/api/admin/*` for users (idp).
 * `routing` is indented server lines; `client` adds a clients list and authenticator, `routes` more routes.
 */
export function adminBehindPublicYaml (server: string, upstream: string, options: { routing?: string, client?: string, routes?: string } = {}): string {
  return `${server}${options.routing ?? ''}${options.client ?? ''}authenticators:
${options.client === undefined ? '' : '  appKey: { type: apiKey }\n'}${USER_AUTH_YAML}upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: web
    policy: public
  - match: /api/admin/*
    upstream: web
    policy: user
    user: [idp]
${options.routes ?? ''}`
}
