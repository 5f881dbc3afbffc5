import type { JWK } from 'jose'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { newSigningJwk } from '../../src/tokens/signing-keys.js'
import { TEST_SERVER } from './gateway.js'
import { call, type Response } from './http.js'

/** Fixed client secrets of the test clients. */
export const SECRETS = {
  android: 'ghs_test-android-secret-000000000000000000000',
  ios: 'ghs_test-ios-secret-0000000000000000000000000',
  expired: 'ghs_test-expired-client-secret-00000000000000',
  disabled: 'ghs_test-disabled-client-secret-0000000000000'
} as const

export const ISSUER = 'https://gatehouse.test'

/** A JWKS file text with the given private keys (first signs). */
export function jwksFile (...keys: JWK[]): string {
  return JSON.stringify({ keys })
}

export async function signingKey (): Promise<JWK> {
  return await newSigningJwk()
}

export interface TokenYamlOptions {
  upstream: string
  ttl?: string
  redis?: string
  /** Overrides for the android client's entry (e.g. `disabled: true`), as YAML lines. */
  android?: string
  bearer?: boolean
  /** server.trustProxy: true, so tests can pose as many IPs with X-Forwarded-For. */
  trustProxy?: boolean
  /**
   * Hash the secrets at the gateway's default scrypt cost, for a test where the time a check
   * takes matters (concurrency caps). Otherwise a low cost: each token request then costs
   * about a millisecond, not tens, and unknown ids cost the same (their decoy follows).
   */
  defaultCost?: boolean
}

const LOW_COST = { N: 1024, r: 8, p: 1 }

const hashes = new Map<string, string>()
async function hashOf (secret: string, defaultCost: boolean): Promise<string> {
  const key = `${String(defaultCost)}:${secret}`
  let h = hashes.get(key)
  if (h === undefined) {
    h = defaultCost ? await hashSecret(secret) : await hashSecret(secret, LOW_COST)
    hashes.set(key, h)
  }
  return h
}

/** A gateway with the token endpoints, four clients with secrets, and a `client` route taking client tokens. */
export async function tokenGatewayYaml (o: TokenYamlOptions): Promise<string> {
  return `${TEST_SERVER}${o.trustProxy === true ? '  trustProxy: true\n' : ''}${o.redis === undefined ? '' : `cache: { redis: "${o.redis}" }\n`}tokens:
  issuer: ${ISSUER}
  ttl: ${o.ttl ?? '15m'}
  signingKeys: keys.json
clients:
  - id: android
    secretHash: "${await hashOf(SECRETS.android, o.defaultCost === true)}"
    ${o.android ?? 'scopes: [orders:read, orders:write]'}
  - id: ios
    secretHash: "${await hashOf(SECRETS.ios, o.defaultCost === true)}"
    scopes: [orders:read]
  - id: old-partner
    secretHash: "${await hashOf(SECRETS.expired, o.defaultCost === true)}"
    expires: 2020-01-01
  - id: banned
    secretHash: "${await hashOf(SECRETS.disabled, o.defaultCost === true)}"
    disabled: true
authenticators:
  appToken: { type: clientToken${o.bearer === true ? ', bearer: true' : ''} }
upstreams:
  orders: { url: "${o.upstream}" }
routes:
  - match: /api/orders/*
    upstream: orders
    policy: client
    client: [appToken]
`
}

export function basic (id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
}

/** POST /oauth/token (or another endpoint) with a form body; `basic` sends the credentials as HTTP Basic. */
export async function postForm (url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return await call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString()
  })
}

/** A token for the client, by HTTP Basic; fails the test's expectations loudly if the gateway refuses. */
export async function fetchToken (gatewayUrl: string, id: string, secret: string, form: Record<string, string> = {}): Promise<string> {
  const res = await postForm(`${gatewayUrl}/oauth/token`, { grant_type: 'client_credentials', ...form }, { authorization: basic(id, secret) })
  if (res.status !== 200) throw new Error(`token request for ${id} answered ${res.status}: ${res.text}`)
  return res.json<{ access_token: string }>().access_token
}
