import { createPrivateKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { importPKCS8 } from 'jose'
import * as oauth from 'oauth4webapi'

/**
 * How the gateway proves itself at the provider's token endpoint, as oauth4webapi does it:
 * `client_secret_basic` (RFC 6749 §2.3.1, the id and secret form-encoded), or
 * `private_key_jwt` (RFC 7523, OpenID Connect Core §9) with a short-lived assertion signed by
 * the configured private key.
 */
export type ClientAuth = oauth.ClientAuth

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

/** `privateKey` as written: an inline JWK or PEM, or a file holding one. Read at start, so a bad key is a config error. */
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

export function clientAuth (secret: { clientSecret?: string | undefined, privateKey?: string | undefined }): ClientAuth {
  if (secret.privateKey !== undefined && secret.privateKey !== '') {
    const { key, alg, kid } = loadPrivateKey(secret.privateKey)
    let signer: Promise<CryptoKey> | undefined
    return async (as, client, body, headers) => {
      signer ??= importPKCS8(key.export({ type: 'pkcs8', format: 'pem' }) as string, alg)
      await oauth.PrivateKeyJwt({ key: await signer, kid }, {
        // The audience is the token endpoint, as before oauth4webapi (which names the issuer): some providers take only that.
        // The algorithm is named as the key or its JWK says (EdDSA, not oauth4webapi's Ed25519), as providers list them.
        [oauth.modifyAssertion]: (header, payload) => { header.alg = alg; payload.aud = as.token_endpoint }
      })(as, client, body, headers)
    }
  }
  return oauth.ClientSecretBasic(secret.clientSecret ?? '')
}
