import t from 'tap'
import { VERIFIED_CLIENT_TOKEN } from '../../src/tokens/revocation.js'
import { authOutcome, authRequest, authUnit, CLIENT_TOKEN_YAML } from '../helpers/auth-unit.js'

t.test('a verified token is checked once, and its verification is cached until the token expires, never longer', async t => {
  const u = await authUnit(CLIENT_TOKEN_YAML)
  const a = u.get('tokens')
  let verifications = 0
  const verify = u.tokens.verifyClientToken.bind(u.tokens)
  u.tokens.verifyClientToken = async token => {
    verifications++
    return await verify(token)
  }
  const { token, jti, exp } = await u.tokens.issueClientToken('android', ['orders:read'])
  for (let i = 0; i < 3; i++) t.match(await authOutcome(a, authRequest({ 'x-client-token': token })), { kind: 'client', id: 'android' })
  t.equal(verifications, 1, 'the same token again is answered from the cache')
  u.clock.advance(exp * 1000 - u.clock() - 1)
  t.not(await u.cache.get(VERIFIED_CLIENT_TOKEN, jti), undefined, 'cached until the last millisecond before exp')
  u.clock.advance(2)
  t.equal(await u.cache.get(VERIFIED_CLIENT_TOKEN, jti), undefined, 'gone once exp has passed')
})
