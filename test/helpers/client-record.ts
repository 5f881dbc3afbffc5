import type { ClientRecord } from '../../src/config/types.js'

/** A client as the config normalises it: no secret, keys, scopes or limits unless `extra` gives them. */
export function clientRecord (id: string, extra: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id,
    name: id,
    secretHash: undefined,
    apiKeys: [],
    scopes: [],
    userTokenClients: [],
    rateLimit: undefined,
    certificate: undefined,
    expiresAt: null,
    disabled: false,
    ...extra
  }
}
