import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createLocalJWKSet, errors, importJWK, type CryptoKey, type FlattenedJWSInput, type JWK, type JWSHeaderParameters, type KeyInput } from 'jose'

/** Where a jwt authenticator's verification keys come from: a shared secret, a key file, or a remote JWKS. */
export interface KeySource {
  /** The key for a token's (unverified) header; throws JWKSNoMatchingKey, or a GatehouseError when keys cannot be had. */
  resolve (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyInput>
  /**
   * Whether a verification made with this `kid` still stands: false once a JWKS refresh
   * dropped the key. A kid-less token names no key: its verification stands while the set it
   * was verified against (`set()` then) is the set in force.
   */
  published (kid: string | undefined, set: string | undefined): boolean
  /** Which key set is in force (changes whenever a refresh changes the keys); undefined for a fixed key. */
  set (): string | undefined
  close (): void
}

const HASH_BITS: Record<string, number> = { HS256: 256, HS384: 384, HS512: 512 }

/** HMAC keys are imported once per algorithm; a raw secret handed to jose would be re-imported on every verify. */
export async function secretKeySource (secret: string, algorithms: readonly string[]): Promise<KeySource> {
  const bytes = new TextEncoder().encode(secret)
  const keys = new Map<string, CryptoKey>()
  for (const alg of algorithms) {
    keys.set(alg, await crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: `SHA-${HASH_BITS[alg]}` }, false, ['verify']))
  }
  return byAlgorithm(keys)
}

function byAlgorithm (keys: Map<string, CryptoKey>): KeySource {
  return {
    async resolve (header) {
      const key = header.alg === undefined ? undefined : keys.get(header.alg)
      if (key === undefined) throw new errors.JWKSNoMatchingKey()
      return key
    },
    published: () => true,
    set: () => undefined,
    close () {}
  }
}

function algorithmsFor (key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512']
    case 'ed25519':
      return ['EdDSA', 'Ed25519']
    case 'ec':
      return (
        ({ prime256v1: ['ES256'], secp384r1: ['ES384'], secp521r1: ['ES512'] } as Record<string, string[]>)[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? []
      )
    default:
      return []
  }
}

/** A private or symmetric member would make a "public" key file a signing key: refused, never used. */
export function isPublicJwk (jwk: unknown): jwk is JWK {
  if (jwk === null || typeof jwk !== 'object') return false
  const k = jwk as Record<string, unknown>
  return typeof k.kty === 'string' && k.kty !== 'oct' && k.d === undefined
}

/**
 * `publicKey`: inline or a file holding a PEM public key or certificate, one JWK, or a JWK
 * Set. One key is imported at load for each allowed algorithm it supports (its `kid` is not
 * required, as there is nothing to choose between); a set is matched by `kid` like a JWKS.
 */
export async function publicKeySource (value: string, algorithms: readonly string[]): Promise<KeySource> {
  const inline = value.trimStart().startsWith('-----') || value.trimStart().startsWith('{')
  const text = (inline ? value : await readFile(value, 'utf8')).trim()
  let key: KeyObject
  if (text.startsWith('{')) {
    const json = JSON.parse(text) as { keys?: unknown }
    if (Array.isArray(json.keys)) {
      if (!json.keys.every(isPublicJwk)) throw new Error('publicKey: the JWK Set holds a private or symmetric key; give only public keys')
      const set = createLocalJWKSet({ keys: json.keys })
      return { resolve: async (header, token) => await set(header, token), published: () => true, set: () => undefined, close () {} }
    }
    if (!isPublicJwk(json)) throw new Error('publicKey: the JWK is a private or symmetric key; give the public key')
    key = createPublicKey({ key: json as JWK & { kty: string }, format: 'jwk' })
  } else {
    if (/PRIVATE KEY/.test(text)) throw new Error('publicKey: this is a private key; give the public key (openssl pkey -pubout)')
    key = createPublicKey(text)
  }
  const usable = algorithmsFor(key).filter(a => algorithms.includes(a))
  if (usable.length === 0) {
    throw new Error(`publicKey: a ${key.asymmetricKeyType ?? 'unknown'} key cannot verify any of the allowed algorithms (${algorithms.join(', ')})`)
  }
  const jwk = key.export({ format: 'jwk' }) as JWK
  const keys = new Map<string, CryptoKey>()
  for (const alg of usable) keys.set(alg, await importJWK(jwk, alg) as CryptoKey)
  return byAlgorithm(keys)
}
