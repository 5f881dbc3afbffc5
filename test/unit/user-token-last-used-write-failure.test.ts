import t from 'tap'
import { createUserTokenAuthenticator } from '../../src/auth/user-token.js'
import { hashUserToken, userTokenId, type UserTokenRecord, type UserTokenStore } from '../../src/tokens/user-token-store.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { authOutcome, authRequest } from '../helpers/auth-unit.js'
import { manualClock } from '../helpers/clock.js'
import { until } from '../helpers/until.js'
import { capturedLogger } from '../helpers/log-lines.js'

const TOKEN = 'gh-user-token-alice-0123456789'

t.test('a last-used time the store could not write is logged at debug with the token id and why, and the request passes', async t => {
  const { logger, lines } = capturedLogger('debug')
  const hash = hashUserToken(TOKEN)
  const record: UserTokenRecord = { id: userTokenId(hash), user: 'alice', scopes: [], client: null, created: 0, expires: null }
  // The store finds the token but cannot write its last use (Redis refusing writes, say).
  const store = {
    find: async (h: string) => h === hash ? record : undefined,
    touch: async () => { throw new Error('READONLY replica') }
  } as unknown as UserTokenStore
  const cfg = { name: 'drf', type: 'userToken', principal: 'user', spec: { type: 'userToken' } } as unknown as AuthenticatorConfig<'userToken'>
  const drf = createUserTokenAuthenticator(cfg, { store, logger, clock: manualClock() })
  t.match(await authOutcome(drf, authRequest({ authorization: `Token ${TOKEN}` })), { kind: 'user', id: 'alice' })
  await until('the failed write is logged', () => lines.some(l => l.msg === 'user token last-used time not written'))
  t.match(lines.find(l => l.msg === 'user token last-used time not written'), { level: 20, tokenId: record.id, err: { message: 'READONLY replica' } })
  t.notOk(JSON.stringify(lines).includes(TOKEN), 'never the token itself')
})
