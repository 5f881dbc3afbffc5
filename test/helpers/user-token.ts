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
