import { randomBytes } from 'node:crypto'
import { hashApiKey } from '../src/auth/api-key.js'

/** 32 random bytes: a key that cannot be guessed, so a fast hash is enough to store it. */
export function newApiKey (): { key: string, hash: string } {
  const key = `gh_${randomBytes(32).toString('base64url')}`
  return { key, hash: `sha256:${hashApiKey(key)}` }
}
