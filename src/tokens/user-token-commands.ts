import type { GatewayConfig } from '../config/types.js'
import { parseDuration, parseExpiry } from '../config/units.js'
import type { DrfToken } from './drf-import.js'
import { hashUserToken, newUserToken, userTokenId, type UserTokenRecord, type UserTokenStore } from './user-token-store.js'

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/
const DURATION = /^[0-9]+(ms|s|m|h|d)$/
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}/

export interface NewTokenRequest {
  user: string
  scopes?: string[] | undefined
  /** `90d` from now, or a date (`2027-06-30`, end of that day UTC) / ISO date-time. */
  expires?: string | undefined
  client?: string | undefined
}

/** Why a request to make a token is refused (the CLI prints it, the admin listener answers 400). */
export class BadTokenRequest extends Error {}

/** When a token given `expires` stops working (ms since epoch), or null for never. */
export function expiryOf (expires: string | undefined, now: number): number | null {
  if (expires === undefined || expires === '') return null
  if (DURATION.test(expires)) {
    const ms = parseDuration(expires)
    if (ms <= 0) throw new BadTokenRequest('expires: a duration of more than 0')
    return now + ms
  }
  if (DATE.test(expires)) {
    const at = parseExpiry(expires)
    if (!Number.isNaN(at)) {
      if (at <= now) throw new BadTokenRequest(`expires: ${expires} has passed`)
      return at
    }
  }
  throw new BadTokenRequest(`expires: "${expires}" is neither a duration (90d, 12h) nor a date (2027-06-30)`)
}

/** Makes and stores a token; the token itself is returned once and kept nowhere. */
export async function issueUserToken (
  store: UserTokenStore,
  config: Pick<GatewayConfig, 'clients'>,
  req: NewTokenRequest
): Promise<{ token: string, record: UserTokenRecord }> {
  const user = req.user.trim()
  if (user === '') throw new BadTokenRequest('user: who the token speaks for is required')
  const scopes = req.scopes ?? []
  const bad = scopes.find(s => !SCOPE.test(s))
  if (bad !== undefined) throw new BadTokenRequest(`scopes: "${bad}" is not an OAuth scope token`)
  if (req.client !== undefined && !config.clients.has(req.client)) {
    throw new BadTokenRequest(`client: "${req.client}" is not one of the config's clients (${[...config.clients.keys()].join(', ') || 'none'})`)
  }
  const now = store.clock()
  const { token, hash, record } = newUserToken({ user, scopes, client: req.client ?? null, expires: expiryOf(req.expires, now) }, now)
  await store.add(hash, record)
  return { token, record }
}

/** Stores each DRF token by its hash, as a token of its user with no scopes, client or expiry (as in DRF). */
export async function importDrfTokens (store: UserTokenStore, tokens: DrfToken[]): Promise<{ imported: number, duplicates: number }> {
  let imported = 0
  let duplicates = 0
  for (const t of tokens) {
    const hash = hashUserToken(t.key)
    const added = await store.add(hash, { id: userTokenId(hash), user: t.user, scopes: [], client: null, created: t.created, expires: null })
    if (added) imported++
    else duplicates++
  }
  return { imported, duplicates }
}
