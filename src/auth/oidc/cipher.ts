import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * AES-256-GCM under a key derived from `session.key`: what a session holds (tokens, claims)
 * is never readable in Redis, and a value is bound to the place it was stored (the
 * additional data), so one copied under another session's key does not open.
 */
export interface Cipher {
  seal (aad: string, text: string): string
  /** The text, or undefined when the value was not sealed with this key for this place. */
  open (aad: string, sealed: string): string | undefined
}

const IV_BYTES = 12
const TAG_BYTES = 16

export function createCipher (secret: string, purpose: string): Cipher {
  const key = Buffer.from(hkdfSync('sha256', secret, 'gatehouse', `gatehouse oidc ${purpose}`, 32))
  return {
    seal (aad, text) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(aad))
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()])
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
    },
    open (aad, sealed) {
      const raw = Buffer.from(sealed, 'base64url')
      if (raw.length < IV_BYTES + TAG_BYTES) return undefined
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
        decipher.setAAD(Buffer.from(aad))
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8')
      } catch {
        return undefined
      }
    }
  }
}
