import { execFileSync } from 'node:child_process'
import { createHmac, createPrivateKey, randomBytes, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The bench's stand-in identity provider: tokens minted locally, no network involved. */
export const JWT_ISSUER = 'https://idp.bench'
export const JWT_AUDIENCE = 'bench-api'
export const JWT_SECRET = randomBytes(32).toString('hex')

const RUN = randomBytes(4).toString('hex')
const encode = (json: unknown): string => Buffer.from(JSON.stringify(json)).toString('base64url')
const HS256 = encode({ alg: 'HS256', typ: 'JWT' })
const RS256 = encode({ alg: 'RS256', typ: 'JWT' })

/** The claims of user `n`'s token, unique per call (its own jti), valid for an hour. */
function claims (n: number): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return { iss: JWT_ISSUER, aud: JWT_AUDIENCE, sub: `user-${n}`, scope: 'orders:read orders:write', iat: now, exp: now + 3600, jti: `${RUN}-${n}` }
}

const hs256 = (payload: string, secret: string | Buffer): string => {
  const input = `${HS256}.${payload}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

/** An HS256 token for user `n`: cheap enough to mint by the hundred thousand (cold and memory runs). */
export function mintJwt (n: number): string {
  return hs256(encode(claims(n)), JWT_SECRET)
}

/**
 * The RS256 issuer the C peers are compared on: an RSA key and a self-signed certificate made
 * with openssl in `dir`. Apache's `OIDCOAuthVerifyCertFiles` wants the certificate; HAProxy
 * 2.6's `jwt_verify` reads only a bare public key (given the certificate it refuses every
 * token); gatehouse's `publicKey` takes either.
 */
export interface RsaIssuer {
  certFile: string
  publicKeyFile: string
  /** A valid token for user `n`; `override` replaces claims (to make the ones a verifier must refuse). */
  mint: (n: number, override?: Record<string, unknown>) => string
  /** Tokens a verifier must answer 401, by what is wrong with them. */
  refused: () => Record<string, string | undefined>
}

export function rsaIssuer (dir: string): RsaIssuer {
  const keyFile = join(dir, 'idp-key.pem')
  const certFile = join(dir, 'idp-cert.pem')
  const publicKeyFile = join(dir, 'idp-public.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=idp.bench'], {
    stdio: 'ignore'
  })
  execFileSync('openssl', ['pkey', '-in', keyFile, '-pubout', '-out', publicKeyFile], { stdio: 'ignore' })
  const key = createPrivateKey(readFileSync(keyFile))
  const mint = (n: number, override: Record<string, unknown> = {}): string => {
    const input = `${RS256}.${encode({ ...claims(n), ...override })}`
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`
  }
  const refused = (): Record<string, string | undefined> => {
    const now = Math.floor(Date.now() / 1000)
    const [, , signature] = mint(0).split('.')
    return {
      'no token': undefined,
      'signature of another payload': `${RS256}.${encode(claims(1))}.${signature ?? ''}`,
      'HS256 keyed with the public key': hs256(encode(claims(0)), readFileSync(publicKeyFile)),
      expired: mint(0, { iat: now - 7200, exp: now - 3600 }),
      'another audience': mint(0, { aud: 'another-api' }),
      'another issuer': mint(0, { iss: 'https://another.idp' })
    }
  }
  return { certFile, publicKeyFile, mint, refused }
}

/** Opaque tokens the bench's introspection endpoint answers `active: true` for. */
export function opaqueToken (n: number): string {
  return `bench-${RUN}-${n}-${randomBytes(12).toString('base64url')}`
}
