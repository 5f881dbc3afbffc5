import { readFile } from 'node:fs/promises'
import type { CryptoKey, JWK } from 'jose'
import { jose } from './jose.js'
import type { Logger } from '../logger.js'

export interface SigningKey {
  kid: string
  alg: string
  key: CryptoKey
}

/** The gateway's keys, imported once: the first signs, every one verifies (rotation). */
export interface SigningKeySet {
  signer: SigningKey
  /** Verification keys by `kid`. */
  verifiers: Map<string, SigningKey>
  /** The public halves, as published at /.well-known/jwks.json. */
  jwks: { keys: JWK[] }
}

const DEFAULT_ALG: Record<string, string> = { OKP: 'EdDSA', EC: 'ES256', RSA: 'RS256' }
const EC_ALG: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

function publicHalf (jwk: JWK): JWK {
  const pub: Record<string, unknown> = { ...jwk }
  for (const m of PRIVATE_MEMBERS) delete pub[m]
  delete pub.key_ops
  return pub as JWK
}

/** A fresh private Ed25519 JWK with its RFC 7638 thumbprint as `kid`. */
export async function newSigningJwk (): Promise<JWK> {
  const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await jose()
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'EdDSA', use: 'sig' }
}

async function importSet (jwks: JWK[], source: string): Promise<SigningKeySet> {
  const { importJWK } = await jose()
  const verifiers = new Map<string, SigningKey>()
  const published: JWK[] = []
  let signer: SigningKey | undefined
  for (const [i, jwk] of jwks.entries()) {
    const where = `${source}: keys[${i}]`
    if (jwk.kty === undefined || DEFAULT_ALG[jwk.kty] === undefined) throw new Error(`${where}: kty must be OKP, EC or RSA`)
    if (jwk.d === undefined) throw new Error(`${where}: not a private key (no "d"); the gateway signs with these keys`)
    if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new Error(`${where}: every key needs a kid`)
    if (verifiers.has(jwk.kid)) throw new Error(`${where}: duplicate kid "${jwk.kid}"`)
    const alg = jwk.alg ?? (jwk.kty === 'EC' ? EC_ALG[jwk.crv ?? ''] : DEFAULT_ALG[jwk.kty])
    if (alg === undefined) throw new Error(`${where}: cannot tell the algorithm; set "alg"`)
    const pub = { ...publicHalf(jwk), alg, use: 'sig' }
    let key: CryptoKey
    let verifyKey: CryptoKey
    try {
      key = await importJWK(jwk, alg) as CryptoKey
      verifyKey = await importJWK(pub, alg) as CryptoKey
    } catch (err) {
      throw new Error(`${where} (kid ${jwk.kid}): ${(err as Error).message}`, { cause: err })
    }
    signer ??= { kid: jwk.kid, alg, key }
    verifiers.set(jwk.kid, { kid: jwk.kid, alg, key: verifyKey })
    published.push(pub)
  }
  if (signer === undefined) throw new Error(`${source}: the JWKS has no keys`)
  return { signer, verifiers, jwks: { keys: published } }
}

/**
 * An ephemeral key set: of `jwk` (a cluster worker's, from its primary, so the workers share
 * one key: runtime/cluster.ts), else of a new key. The gateway keeps it across its reloads.
 */
export async function ephemeralKeySet (jwk?: JWK): Promise<SigningKeySet> {
  return await importSet([jwk ?? await newSigningJwk()], 'ephemeral key')
}

/**
 * Loads `tokens.signingKeys` (a JWKS of private keys), or takes the ephemeral key set
 * `ephemeral` gives (default: a new one) and says what that costs to the logger given (none
 * when the config never uses the key).
 */
export async function loadSigningKeys (file: string | undefined, logger: Logger | undefined,
  ephemeral: () => Promise<SigningKeySet> = ephemeralKeySet): Promise<SigningKeySet> {
  if (file === undefined) {
    logger?.warn(
      'tokens.signingKeys is not set: client tokens are signed with an ephemeral key and will not ' +
        'survive a restart or be accepted by another instance (make one with `gatehouse signing-key new`)'
    )
    return await ephemeral()
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`tokens.signingKeys ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw new Error(`tokens.signingKeys ${file}: not a JWKS (expected {"keys": [...]})`)
  return await importSet(keys as JWK[], `tokens.signingKeys ${file}`)
}
