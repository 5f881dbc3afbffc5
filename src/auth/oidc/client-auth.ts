import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { SignJWT } from 'jose'

/**
 * How the gateway proves itself at the provider's token endpoint: `client_secret_basic`
 * (RFC 6749 §2.3.1), or `private_key_jwt` (RFC 7523, OpenID Connect Core §9) with a
 * short-lived assertion signed by the configured private key.
 */
export type ClientAuth = (tokenEndpoint: string) => Promise<{ headers: Record<string, string>, form: Record<string, string> }>

/** The JWS algorithm a private key signs with, from its type. */
function algorithmOf (key: KeyObject): string {
  const type = key.asymmetricKeyType
  if (type === 'rsa' || type === 'rsa-pss') return type === 'rsa' ? 'RS256' : 'PS256'
  if (type === 'ed25519') return 'EdDSA'
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    if (curve === 'prime256v1') return 'ES256'
    if (curve === 'secp384r1') return 'ES384'
    if (curve === 'secp521r1') return 'ES512'
  }
  throw new Error(`a ${type ?? 'symmetric'} key cannot sign a private_key_jwt assertion`)
}

/** `privateKey` as written: an inline JWK or PEM, or a file holding one. */
function loadPrivateKey (spec: string): { key: KeyObject, alg: string, kid: string | undefined } {
  const text = spec.trimStart().startsWith('{') || spec.trimStart().startsWith('-----') ? spec : readFileSync(spec, 'utf8')
  if (text.trimStart().startsWith('{')) {
    const jwk = JSON.parse(text) as { kid?: unknown, alg?: unknown }
    const key = createPrivateKey({ key: jwk as never, format: 'jwk' })
    return { key, alg: typeof jwk.alg === 'string' ? jwk.alg : algorithmOf(key), kid: typeof jwk.kid === 'string' ? jwk.kid : undefined }
  }
  const key = createPrivateKey(text)
  return { key, alg: algorithmOf(key), kid: undefined }
}

export function clientAuth (clientId: string, secret: { clientSecret?: string | undefined, privateKey?: string | undefined }): ClientAuth {
  if (secret.privateKey !== undefined && secret.privateKey !== '') {
    const { key, alg, kid } = loadPrivateKey(secret.privateKey)
    return async tokenEndpoint => {
      const assertion = await new SignJWT({})
        .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(tokenEndpoint)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(key)
      return {
        headers: {},
        form: { client_id: clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }
      }
    }
  }
  // RFC 6749 §2.3.1: both halves form-encoded before they are joined.
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret.clientSecret ?? '')}`).toString('base64')
  return async () => ({ headers: { authorization: `Basic ${basic}` }, form: {} })
}
