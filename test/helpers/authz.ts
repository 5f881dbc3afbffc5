import { KEYS, TEST_SERVER, keyHash, startTestGateway, type TestGateway } from './gateway.js'
import { startEcho } from './upstream.js'
import { usersFile } from './basic-users.js'

interface Teardown { teardown (fn: () => unknown): void }

/** Two apps: android (scopes orders:read; its users' tokens come from android-id) and ios (no scopes; ios-id). */
export function authzClientsYaml (extra: { android?: string, ios?: string } = {}): string {
  return `clients:
  - id: android
    apiKeys: [{ hash: "${keyHash(KEYS.android)}" }]
    scopes: [orders:read]
    userTokenClients: [android-id]
${extra.android ?? ''}
  - id: ios
    apiKeys: [{ hash: "${keyHash(KEYS.ios)}" }]
    userTokenClients: [ios-id]
${extra.ios ?? ''}
`
}

/**
 * A gateway with API-key clients, basic users (test/helpers/basic-users.ts) and the given
 * routes (YAML list items, indented by two spaces) on one echo upstream.
 */
export async function startAuthzGateway (
  t: Teardown,
  routes: string,
  options: { head?: string, clients?: string, upstream?: string } = {}
): Promise<TestGateway> {
  const upstream = options.upstream ?? (await startEcho(t))
  return await startTestGateway(
    t,
    `${TEST_SERVER}${options.head ?? ''}${options.clients ?? authzClientsYaml()}
authenticators:
  appKey: { type: apiKey }
  staff: { type: basic, usersFile: users.htpasswd }
upstreams:
  orders: { url: "${upstream}" }
routes:
${routes}`,
    { files: { 'users.htpasswd': await usersFile() } }
  )
}
