import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * How a cached value travels through Redis. With `cache.integrityKey` every value carries an
 * HMAC over its Redis key and its text, so Redis is no trust root: whoever can write to it
 * cannot mint an identity (a forged entry, or a real one copied under another token's key,
 * fails the check and is ignored). Without the key values travel plain, as before.
 */
export interface Sealer {
  readonly keyed: boolean
  seal (key: string, text: string): string
  /** The text, or undefined when the value fails the check. */
  open (key: string, value: string): string | undefined
}

export function createSealer (integrityKey: string | undefined): Sealer {
  if (integrityKey === undefined) {
    return { keyed: false, seal: (_key, text) => text, open: (_key, value) => value.startsWith('{') ? value : undefined }
  }
  const mac = (key: string, text: string): Buffer => createHmac('sha256', integrityKey).update(key).update('\n').update(text).digest()
  return {
    keyed: true,
    seal: (key, text) => `${mac(key, text).toString('base64url')}.${text}`,
    open (key, value) {
      const dot = value.indexOf('.')
      if (dot <= 0) return undefined
      const text = value.slice(dot + 1)
      const given = Buffer.from(value.slice(0, dot), 'base64url')
      const expected = mac(key, text)
      return given.length === expected.length && timingSafeEqual(given, expected) ? text : undefined
    }
  }
}
