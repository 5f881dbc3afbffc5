import { createHmac, randomBytes } from 'node:crypto'

/** The bench's stand-in identity provider: HS256 tokens minted locally, no network involved. */
export const JWT_ISSUER = 'https://idp.bench'
export const JWT_AUDIENCE = 'bench-api'
export const JWT_SECRET = randomBytes(32).toString('hex')

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
const RUN = randomBytes(4).toString('hex')

/** A valid token for user `n`, unique per call (its own jti), valid for an hour. */
export function mintJwt (n: number): string {
  const now = Math.floor(Date.now() / 1000)
  const payload = Buffer.from(JSON.stringify({
    iss: JWT_ISSUER, aud: JWT_AUDIENCE, sub: `user-${n}`, scope: 'orders:read orders:write', iat: now, exp: now + 3600, jti: `${RUN}-${n}`
  })).toString('base64url')
  const signature = createHmac('sha256', JWT_SECRET).update(`${HEADER}.${payload}`).digest('base64url')
  return `${HEADER}.${payload}.${signature}`
}

/** Opaque tokens the bench's introspection endpoint answers `active: true` for. */
export function opaqueToken (n: number): string {
  return `bench-${RUN}-${n}-${randomBytes(12).toString('base64url')}`
}
