import t from 'tap'
import { GatehouseError } from '../../src/errors.js'
import { authorize, type RouteAuthz } from '../../src/policy/authorize.js'
import type { Identity } from '../../src/policy/authenticate.js'
import type { Authenticator, ClientPrincipal, UserPrincipal } from '../../src/auth/types.js'
import type { ClientRecord } from '../../src/config/types.js'
import { clientRecord } from '../helpers/client-record.js'

const apiKey = {
  name: 'keys',
  type: 'apiKey',
  principal: 'client',
  challenge: { scheme: 'ApiKey', params: { realm: 'gatehouse' } },
  consumes: { headers: [], query: [] },
  authenticate: () => undefined
} as unknown as Authenticator
const idp = {
  ...apiKey,
  name: 'idp',
  type: 'jwt',
  principal: 'user',
  challenge: { scheme: 'Bearer', params: { realm: 'gatehouse' } }
} as unknown as Authenticator

const record = clientRecord
const client = (id: string, scopes: string[] = [], extra: Partial<ClientRecord> = {}): ClientPrincipal => ({
  kind: 'client',
  id,
  client: record(id, extra),
  scopes,
  authenticator: 'keys'
})
const user = (id: string, scopes: string[] = [], claims: Record<string, unknown> = {}, tokenClientId?: string): UserPrincipal => ({
  kind: 'user',
  id,
  scopes,
  claims,
  tokenClientId,
  authenticator: 'idp'
})
const who = (c?: ClientPrincipal, u?: UserPrincipal): Identity => ({ client: c, user: u, authenticators: [] })

function route (extra: Partial<RouteAuthz> = {}): RouteAuthz {
  return { scopes: [], requireClaims: [], clients: undefined, bindUserToClient: false, policy: {}, clientAuth: [apiKey], userAuth: [idp], ...extra }
}

function refusal (fn: () => void): { code: string, detail: string, challenges: string[] } | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    if (!(err instanceof GatehouseError)) throw err
    return { code: err.code, detail: err.detail, challenges: (err.challenges ?? []).map(c => c.scheme) }
  }
}

t.test('a route with no rules lets any identity through, anonymous included', async t => {
  t.equal(refusal(() => authorize(route(), who())), undefined)
  t.equal(refusal(() => authorize(route(), who(client('android'), user('alice')))), undefined)
})

t.test('the clients allow-list: a listed client passes, another is forbidden, none is asked for', async t => {
  const r = route({ clients: new Set(['android']) })
  t.equal(refusal(() => authorize(r, who(client('android')))), undefined)
  t.match(refusal(() => authorize(r, who(client('ios')))), { code: 'forbidden', detail: 'client "ios" may not use this route' })
  t.same(
    refusal(() => authorize(r, who(undefined, user('alice')))),
    { code: 'missing_credentials', detail: "a client credential is required by this route's clients allow-list", challenges: ['ApiKey'] },
    'no client: 401 with the client challenge'
  )
})

t.test('bindUserToClient: the user token must name one of the calling client\'s userTokenClients', async t => {
  const r = route({ bindUserToClient: true })
  const android = client('android', [], { userTokenClients: ['android-app'] })
  t.equal(refusal(() => authorize(r, who(android, user('alice', [], {}, 'android-app')))), undefined)
  t.match(refusal(() => authorize(r, who(android, user('alice', [], {}, 'web-app')))), { code: 'client_mismatch', detail: /issued to "web-app"/ })
  t.match(refusal(() => authorize(r, who(android, user('alice')))), { code: 'client_mismatch', detail: /names no client/ })
  t.same(
    refusal(() => authorize(r, who(undefined, user('alice', [], {}, 'android-app')))),
    { code: 'missing_credentials', detail: "a client credential is required by this route's bindUserToClient", challenges: ['ApiKey'] }
  )
  t.equal(refusal(() => authorize(r, who(android))), undefined, 'no user: nothing to bind')
})

t.test('scopes: the user\'s when there is one, else the client\'s; each missing one is named', async t => {
  const r = route({ scopes: ['orders:read', 'orders:write'] })
  t.equal(refusal(() => authorize(r, who(client('c', ['orders:read', 'orders:write'])))), undefined)
  t.match(
    refusal(() => authorize(r, who(client('c', ['orders:read', 'orders:write']), user('alice', ['orders:read'])))),
    { code: 'insufficient_scope', detail: 'the user lacks scope orders:write', challenges: ['Bearer'] },
    "a user present: the user's scopes count, not the client's"
  )
  t.match(refusal(() => authorize(r, who(client('c')))), { code: 'insufficient_scope', detail: 'the client lacks scope orders:read orders:write' })
  t.same(
    refusal(() => authorize(r, who())),
    { code: 'missing_credentials', detail: "a user credential is required by this route's scopes", challenges: ['Bearer'] },
    'anonymous on a route with users: ask for a user'
  )
  t.match(
    refusal(() => authorize(route({ scopes: ['x'], userAuth: [] }), who())),
    { code: 'missing_credentials', challenges: ['ApiKey'] },
    'a client-only route: ask for a client'
  )
})

t.test('require.claims: strict equality, any element of a list claim, a user needed', async t => {
  const r = route({ requireClaims: [['role', ['admin', true]], ['tier', [3]]] })
  t.equal(refusal(() => authorize(r, who(undefined, user('a', [], { role: 'admin', tier: 3 })))), undefined)
  t.equal(
    refusal(() => authorize(r, who(undefined, user('a', [], { role: ['viewer', 'admin'], tier: 3 })))),
    undefined,
    'a list claim passes when one element is allowed'
  )
  t.equal(refusal(() => authorize(r, who(undefined, user('a', [], { role: true, tier: 3 })))), undefined)
  t.match(
    refusal(() => authorize(r, who(undefined, user('a', [], { role: 'true', tier: 3 })))),
    { code: 'forbidden', detail: 'claim "role" does not have an allowed value' },
    '"true" is not true'
  )
  t.match(refusal(() => authorize(r, who(undefined, user('a', [], { role: 'admin', tier: '3' })))), { code: 'forbidden', detail: /"tier"/ }, '"3" is not 3')
  t.match(refusal(() => authorize(r, who(undefined, user('a')))), { code: 'forbidden' }, 'an absent claim')
  t.match(refusal(() => authorize(r, who(client('c')))), { code: 'missing_credentials', challenges: ['Bearer'] })
})

t.test('the checks run in order: the allow-list before the binding, the binding before scopes', async t => {
  const r = route({ clients: new Set(['android']), bindUserToClient: true, scopes: ['s'] })
  t.match(refusal(() => authorize(r, who(client('ios'), user('a', [], {}, 'x')))), { code: 'forbidden' })
  t.match(refusal(() => authorize(r, who(client('android'), user('a', [], {}, 'x')))), { code: 'client_mismatch' })
  t.match(refusal(() => authorize(r, who(client('android', [], { userTokenClients: ['x'] }), user('a', [], {}, 'x')))), { code: 'insufficient_scope' })
})

t.test('bindUserToClient with a token bound to a client at issue (a user API token): that client only', async t => {
  const r = route({ bindUserToClient: true })
  const bound = (boundClient: string): UserPrincipal => ({ ...user('alice', [], {}, 'ignored-app'), boundClient })
  t.equal(refusal(() => authorize(r, who(client('android'), bound('android')))), undefined, 'the bound client, whatever its userTokenClients')
  t.same(refusal(() => authorize(r, who(client('ios', [], { userTokenClients: ['ignored-app'] }), bound('android')))),
    { code: 'client_mismatch', detail: 'the user token belongs to client "android", not "ios"', challenges: [] }, 'the binding wins over userTokenClients')
})

t.test('insufficient_scope carries the RFC 6750 challenge naming every required scope', async t => {
  try {
    authorize(route({ scopes: ['orders:read', 'orders:write'] }), who(undefined, user('alice', ['orders:read'])))
    t.fail('expected a refusal')
  } catch (err) {
    t.same((err as GatehouseError).challenges, [
      { scheme: 'Bearer', params: { realm: 'gatehouse', error: 'insufficient_scope', scope: 'orders:read orders:write' } }
    ])
  }
})
