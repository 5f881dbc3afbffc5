import { createHash } from 'node:crypto'
import { GatehouseError } from '../errors.js'
import type { AuthenticatorConfig, ClientRecord } from '../config/types.js'
import type { AuthRequest, Authenticator, ClientPrincipal } from './types.js'
import type { Clock } from '../clock.js'
import { clientUnusable } from '../config/client-usable.js'

export function hashApiKey (key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/**
 * API keys are stored as sha256 hashes and found by the hash of what is presented: the
 * lookup never compares the secret itself, so its timing tells nothing about a key.
 */
export function createApiKeyAuthenticator (cfg: AuthenticatorConfig<'apiKey'>, clients: Map<string, ClientRecord>, clock: Clock): Authenticator {
  const header = (cfg.spec.header ?? 'X-API-Key').toLowerCase()
  const query = cfg.spec.query
  const byHash = new Map<string, { client: ClientRecord, expiresAt: number | null }>()
  for (const client of clients.values()) {
    for (const key of client.apiKeys) byHash.set(key.hash, { client, expiresAt: key.expiresAt })
  }
  const challenge = { scheme: 'ApiKey', params: { realm: 'gatehouse', header: cfg.spec.header ?? 'X-API-Key' } }
  const fail = (detail: string): GatehouseError =>
    new GatehouseError('invalid_credentials', detail, { principal: 'client', authenticator: cfg.name, challenges: [challenge] })

  function presented (req: AuthRequest): string | undefined {
    const value = req.headers[header]
    if (Array.isArray(value)) throw fail('more than one API key presented')
    if (value !== undefined && value !== '') return value
    if (query !== undefined && req.query !== '') {
      const params = new URLSearchParams(req.query)
      const all = params.getAll(query)
      if (all.length > 1) throw fail('more than one API key presented')
      if (all[0] !== undefined && all[0] !== '') return all[0]
    }
    return undefined
  }

  return {
    name: cfg.name,
    type: 'apiKey',
    principal: 'client',
    challenge,
    consumes: { headers: [header], query: query === undefined ? [] : [query] },
    authenticate (req): ClientPrincipal | undefined {
      const key = presented(req)
      if (key === undefined) return undefined
      const entry = byHash.get(hashApiKey(key))
      if (entry === undefined) throw fail('unknown API key')
      const now = clock()
      if (entry.expiresAt !== null && now > entry.expiresAt) throw fail('API key has expired')
      const unusable = clientUnusable(entry.client, now)
      if (unusable !== undefined) throw fail(unusable)
      return { kind: 'client', id: entry.client.id, client: entry.client, scopes: entry.client.scopes, authenticator: cfg.name }
    }
  }
}
