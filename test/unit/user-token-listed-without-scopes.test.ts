import t from 'tap'
import { hashUserToken } from '../../src/tokens/user-token-store.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'

const TOKEN = 'gh-user-token-bob-0123456789'

t.test('a listed token with no scopes configured has none', async t => {
  const tokens = [{ hash: `sha256:${hashUserToken(TOKEN)}`, user: 'bob' }]
  const u = await authUnit(`authenticators:
  drf: ${JSON.stringify({ type: 'userToken', tokens })}
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, user: [drf], policy: user }
`)
  const outcome = await authOutcome(u.get('drf'), authRequest({ authorization: `Token ${TOKEN}` }))
  t.equal(outcome?.id, 'bob')
  t.same(outcome?.scopes, [])
})
