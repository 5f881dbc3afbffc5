import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

interface Teardown { teardown (fn: () => unknown): void }

export const ISSUER = 'https://idp.test/'
export const AUDIENCE = 'orders-api'

export interface TestKey {
  alg: string
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  /** The public JWK with kid, alg and use, as an IdP publishes it. */
  jwk: JWK
  pem: string
}

export async function makeKey (alg: string, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...await exportJWK(publicKey), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, jwk, pem: await exportSPKI(publicKey) }
}

/** A token as an IdP would issue it: iss, aud, sub, a 10-minute exp, plus the given claims. */
export async function sign (key: TestKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey)
}

export function b64u (value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

export interface JwksServer {
  url: string
  /** Replaces the served set: the next fetch sees only these keys. */
  serve (keys: JWK[]): void
  /** How many times the set was fetched (or tried, while failing). */
  readonly fetches: number
  /** While true, every fetch is answered 503, as by an IdP in trouble. */
  failing: boolean
  /** Stops listening; the URL then refuses connections. */
  stop (): Promise<void>
}

/** A real HTTP server publishing a JWKS at /jwks.json; closed when the test ends. */
export async function startJwksServer (t: Teardown, keys: JWK[]): Promise<JwksServer> {
  let served = keys
  let fetches = 0
  let failing = false
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end()
      return
    }
    fetches++
    if (failing) {
      res.writeHead(503).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const stop = async (): Promise<void> => {
    if (!server.listening) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  t.teardown(stop)
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    serve (next) { served = next },
    get fetches () { return fetches },
    get failing () { return failing },
    set failing (value) { failing = value },
    stop
  }
}

/** A gateway config with one jwt authenticator `idp` (the given spec lines) on /api/* with policy user. */
export function jwtConfig (server: string, upstream: string, idpSpec: string, extra = ''): string {
  return `${server}
authenticators:
  idp: { type: jwt, issuer: "${ISSUER}", audience: ${AUDIENCE}, ${idpSpec} }
${extra}
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: orders
    policy: user
    user: [idp]
`
}
