import t from 'tap'
import { hashUserToken } from '../../src/tokens/user-token-store.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'

const TOKEN = 'gh-user-token-alice-0123456789'

t.test('a header of its own that is present but empty is no credential: no decision, not a 401', async t => {
  const tokens = [{ hash: `sha256:${hashUserToken(TOKEN)}`, user: 'alice' }]
  const u = await authUnit(`authenticators:
  drf: ${JSON.stringify({ type: 'userToken', header: 'X-User-Token', tokens })}
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, user: [drf], policy: user }
`)
  t.equal(await authOutcome(u.get('drf'), authRequest({ 'x-user-token': '' })), undefined)
  t.match(await authOutcome(u.get('drf'), authRequest({ 'x-user-token': TOKEN })), { id: 'alice' }, 'the header is read')
})
