import type { ClientRecord } from './types.js'

/** A client is usable when it is neither disabled nor past its `expires`. Returns why not, or undefined. */
export function clientUnusable (client: ClientRecord, now: number): string | undefined {
  if (client.disabled) return 'client is disabled'
  if (client.expiresAt !== null && now > client.expiresAt) return 'client has expired'
  return undefined
}
