import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Client secrets are stored as `scrypt$N=<cost>,r=<block>,p=<parallel>$<salt>$<hash>` (salt and
 * hash base64url): a leaked config does not reveal secrets, and each guess costs memory and time.
 */
export interface SecretHash {
  N: number
  r: number
  p: number
  salt: Buffer
  hash: Buffer
}

const DEFAULT = { N: 2 ** 15, r: 8, p: 1 }
const SALT_BYTES = 16
const HASH_BYTES = 32
const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{22,})$/

async function scrypt (secret: string, salt: Buffer, length: number, params: Omit<SecretHash, 'salt' | 'hash'>): Promise<Buffer> {
  // N·r·128 bytes per hash: maxmem is raised to fit the cost, not to allow more than it.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 }
  return await new Promise((resolve, reject) => {
    scryptCb(secret.normalize('NFC'), salt, length, options, (err, key) => err === null ? resolve(key) : reject(err))
  })
}

/** The parsed form of a `secretHash`, or undefined when it is not one this gateway wrote. */
export function parseSecretHash (text: string): SecretHash | undefined {
  const m = FORMAT.exec(text)
  if (m === null) return undefined
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  // Bounds keep a hostile or mistyped config from making each login cost gigabytes.
  if (N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined
  const salt = Buffer.from(m[4] as string, 'base64url')
  const hash = Buffer.from(m[5] as string, 'base64url')
  if (hash.length < 16) return undefined
  return { N, r, p, salt, hash }
}

/** The stored form of a secret (client secrets, basic users' passwords); tests pass a lower cost. */
export async function hashSecret (secret: string, cost: Omit<SecretHash, 'salt' | 'hash'> = DEFAULT): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const hash = await scrypt(secret, salt, HASH_BYTES, cost)
  return `scrypt$N=${cost.N},r=${cost.r},p=${cost.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`
}

/** Constant-time comparison of the derived key: the time taken says nothing about the stored hash. */
export async function verifySecret (secret: string, stored: SecretHash): Promise<boolean> {
  const derived = await scrypt(secret, stored.salt, stored.hash.length, stored)
  return timingSafeEqual(derived, stored.hash)
}

/**
 * A hash no secret matches, checked when the name is unknown or has no secret: the answer
 * then takes as long as for a known one, so timing does not reveal which names exist.
 */
export function decoyHash (cost: Omit<SecretHash, 'salt' | 'hash'> = DEFAULT): SecretHash {
  return { N: cost.N, r: cost.r, p: cost.p, salt: randomBytes(SALT_BYTES), hash: randomBytes(HASH_BYTES) }
}

export function newClientSecret (): string {
  return `ghs_${randomBytes(32).toString('base64url')}`
}
