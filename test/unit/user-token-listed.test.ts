import t from 'tap'
import { hashUserToken, userTokenKey } from '../../src/tokens/user-token-store.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'

const ALICE = 'gh-user-token-alice-0123456789'
const BOB = 'gh-user-token-bob-0123456789'

function yaml (spec: Record<string, unknown> = {}): string {
  const tokens = [
    { hash: `sha256:${hashUserToken(ALICE)}`, user: 'alice', scopes: ['orders:read'], client: 'android', expires: '2030-01-01T01:00:00Z' },
    { hash: `sha256:${hashUserToken(BOB)}`, user: 'bob' }
  ]
  return `clients:
  - id: android
authenticators:
  drf: ${JSON.stringify({ type: 'userToken', tokens, ...spec })}
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, user: [drf], policy: user }
`
}

const refused = (detail: string, params = ''): object => ({
  status: 401,
  code: 'invalid_token',
  detail,
  challenges: [`Token realm="gatehouse"${params}, error="invalid_token", error_description="${detail}"`],
  headers: undefined
})

t.test('a listed token: its user, scopes, bound client, exp and revocation key', async t => {
  const u = await authUnit(yaml())
  const drf = u.get('drf')
  const p = await drf.authenticate(authRequest({ authorization: `Token ${ALICE}` }))
  t.same(p, {
    kind: 'user',
    id: 'alice',
    scopes: ['orders:read'],
    claims: {},
    tokenClientId: undefined,
    boundClient: 'android',
    authenticator: 'drf',
    exp: Date.UTC(2030, 0, 1, 1) / 1000,
    revocationKey: userTokenKey(hashUserToken(ALICE))
  })
  t.match(
    await drf.authenticate(authRequest({ authorization: `token \t ${BOB}` })),
    { id: 'bob', scopes: [], boundClient: undefined, exp: undefined },
    'the scheme in any case, any blanks'
  )
  t.same([drf.name, drf.type, drf.principal], ['drf', 'userToken', 'user'])
  t.same(drf.challenge, { scheme: 'Token', params: { realm: 'gatehouse' } })
  t.same(drf.consumes, { headers: ['authorization'], query: [] })
})

t.test('an unknown token is refused; another scheme or no header is no decision', async t => {
  const u = await authUnit(yaml())
  const drf = u.get('drf')
  t.same(await authOutcome(drf, authRequest({ authorization: 'Token gh-user-token-nobody' })), refused('unknown or revoked token'))
  t.equal(await authOutcome(drf, authRequest({ authorization: `Bearer ${ALICE}` })), undefined)
  t.equal(await authOutcome(drf, authRequest({ authorization: `Tokens ${ALICE}` })), undefined)
  t.equal(await authOutcome(drf, authRequest({ authorization: '' })), undefined)
  t.equal(await authOutcome(drf, authRequest()), undefined)
})

t.test('a malformed header is refused, never passed on', async t => {
  const u = await authUnit(yaml())
  const drf = u.get('drf')
  t.same(await authOutcome(drf, authRequest({ authorization: 'Token' })), refused('invalid token header: no token given'))
  t.same(await authOutcome(drf, authRequest({ authorization: 'Token   ' })), refused('invalid token header: no token given'))
  t.same(
    await authOutcome(drf, authRequest({ authorization: `Token ${ALICE} extra` })),
    refused('invalid token header: the token has characters a token never has')
  )
  t.same(await authOutcome(drf, authRequest({ authorization: [`Token ${ALICE}`, `Token ${BOB}`] })), refused('more than one token presented'))
})

t.test('a token stops working at its expires, by the injected clock', async t => {
  const u = await authUnit(yaml())
  u.clock.advance(60 * 60_000 - 1)
  t.match(await authOutcome(u.get('drf'), authRequest({ authorization: `Token ${ALICE}` })), { id: 'alice' })
  u.clock.advance(1)
  t.same(await authOutcome(u.get('drf'), authRequest({ authorization: `Token ${ALICE}` })), refused('token has expired'))
})

t.test('a header of its own carries the token alone; the challenge names it', async t => {
  const u = await authUnit(yaml({ header: 'X-User-Token' }))
  const drf = u.get('drf')
  t.match(await authOutcome(drf, authRequest({ 'x-user-token': ALICE })), { id: 'alice' })
  t.same(
    await authOutcome(drf, authRequest({ 'x-user-token': `Token ${ALICE}` })),
    refused('invalid token header: the token has characters a token never has', ', header="X-User-Token"')
  )
  t.equal(await authOutcome(drf, authRequest({ authorization: `Token ${ALICE}` })), undefined)
  t.same(drf.challenge, { scheme: 'Token', params: { realm: 'gatehouse', header: 'X-User-Token' } })
  t.same(drf.consumes, { headers: ['x-user-token'], query: [] })
  const bearer = await authUnit(yaml({ scheme: 'Bearer' }))
  t.match(await authOutcome(bearer.get('drf'), authRequest({ authorization: `Bearer ${ALICE}` })), { id: 'alice' }, 'scheme: Bearer')
  t.equal(await authOutcome(bearer.get('drf'), authRequest({ authorization: `Token ${ALICE}` })), undefined)
})
