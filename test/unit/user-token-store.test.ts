import t from 'tap'
import { TokenStoreUnavailable, hashUserToken, type UserTokenRecord, type UserTokenStore } from '../../src/tokens/user-token-store.js'
import { LAST_USED_EVERY_MS } from '../../src/auth/user-token.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'

const CAROL = 'gh-user-token-carol-0123456789'
const LISTED = 'gh-user-token-listed-0123456789'

const yaml = `authenticators:
  drf: { type: userToken, tokens: [{ hash: "sha256:${hashUserToken(LISTED)}", user: listed }] }
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, user: [drf], policy: user }
`

/** An in-memory stand-in for the Redis store: what it holds, what it was told was used, and whether it is down. */
function memoryStore (records: Map<string, UserTokenRecord>): {
  store: UserTokenStore
  touched: Array<[string, number]>
  down: { now: boolean, other: boolean, touch: boolean }
} {
  const touched: Array<[string, number]> = []
  const down = { now: false, other: false, touch: false }
  const store = {
    async find (hash: string) {
      if (down.now) throw new TokenStoreUnavailable('redis down')
      if (down.other) throw new Error('a bug')
      return records.get(hash)
    },
    async touch (id: string, at: number) {
      touched.push([id, at])
      if (down.touch) throw new TokenStoreUnavailable('redis down')
    }
  }
  return { store: store as unknown as UserTokenStore, touched, down }
}

t.test('a token in the store: found by hash, its last use written at most once a minute per token', async t => {
  const hash = hashUserToken(CAROL)
  const m = memoryStore(new Map([[hash, { id: 'carol-id', user: 'carol', scopes: ['a'], client: null, created: 0, expires: null }]]))
  const u = await authUnit(yaml, undefined, { userTokens: m.store })
  const drf = u.get('drf')
  const start = u.clock()
  t.match(await authOutcome(drf, authRequest({ authorization: `Token ${CAROL}` })), { id: 'carol', scopes: ['a'], exp: undefined })
  t.match(await authOutcome(drf, authRequest({ authorization: `Token ${CAROL}` })), { id: 'carol' })
  t.same(m.touched, [['carol-id', start]])
  u.clock.advance(LAST_USED_EVERY_MS + 1)
  await authOutcome(drf, authRequest({ authorization: `Token ${CAROL}` }))
  t.same(m.touched, [
    ['carol-id', start],
    ['carol-id', start + LAST_USED_EVERY_MS + 1]
  ])
  t.match(await authOutcome(drf, authRequest({ authorization: `Token ${LISTED}` })), { id: 'listed' })
  t.equal(m.touched.length, 2, 'a listed token is found first and never written')
  t.match(await authOutcome(drf, authRequest({ authorization: 'Token gh-unknown' })), {
    status: 401,
    code: 'invalid_token',
    detail: 'unknown or revoked token'
  })
})

t.test('a stored token past its expires is refused', async t => {
  const hash = hashUserToken(CAROL)
  const u0 = await authUnit(yaml)
  const m = memoryStore(new Map([[hash, { id: 'carol-id', user: 'carol', scopes: [], client: 'android', created: 0, expires: u0.clock() + 1000 }]]))
  const u = await authUnit(yaml, u0.clock, { userTokens: m.store })
  t.match(await authOutcome(u.get('drf'), authRequest({ authorization: `Token ${CAROL}` })), { id: 'carol', exp: Math.floor((u.clock() + 1000) / 1000) })
  u.clock.advance(1000)
  t.match(await authOutcome(u.get('drf'), authRequest({ authorization: `Token ${CAROL}` })), {
    status: 401,
    code: 'invalid_token',
    detail: 'token has expired'
  })
})

t.test('a store that cannot answer is a 503 with Retry-After; a failed last-use write is not', async t => {
  const hash = hashUserToken(CAROL)
  const m = memoryStore(new Map([[hash, { id: 'carol-id', user: 'carol', scopes: [], client: null, created: 0, expires: null }]]))
  const u = await authUnit(yaml, undefined, { userTokens: m.store })
  m.down.now = true
  t.same(await authOutcome(u.get('drf'), authRequest({ authorization: `Token ${CAROL}` })), {
    status: 503,
    code: 'auth_unavailable',
    detail: 'user tokens cannot be checked right now',
    challenges: [],
    headers: { 'retry-after': '1' }
  })
  m.down.now = false
  m.down.other = true
  await t.rejects(
    async () => await u.get('drf').authenticate(authRequest({ authorization: `Token ${CAROL}` })),
    /a bug/,
    'anything else is not hidden as a 503'
  )
  m.down.other = false
  m.down.touch = true
  t.match(
    await authOutcome(u.get('drf'), authRequest({ authorization: `Token ${CAROL}` })),
    { id: 'carol' },
    'the last-use write failed: logged, the request passes'
  )
  t.equal(m.touched.length, 1)
})
