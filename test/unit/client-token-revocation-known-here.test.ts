import t from 'tap'
import { authOutcome, authRequest, authUnit, CLIENT_TOKEN_YAML } from '../helpers/auth-unit.js'

t.test('a cached verification is not reused once this instance knows the token is revoked, though the entry is still cached', async t => {
  const u = await authUnit(CLIENT_TOKEN_YAML)
  const a = u.get('tokens')
  const { token, jti, exp } = await u.tokens.issueClientToken('android', ['orders:read'])
  t.match(await authOutcome(a, authRequest({ 'x-client-token': token })), { kind: 'client', id: 'android' })
  // As when the revocation was heard while Redis was away: known here, the cached verification not deleted.
  u.tokens.revocations.known.add(jti, exp * 1000)
  t.not(await u.cache.get('client-token', jti), undefined, 'the verification is still cached')
  t.same(await authOutcome(a, authRequest({ 'x-client-token': token })), {
    status: 401,
    code: 'invalid_token',
    detail: 'token has been revoked',
    challenges: ['ClientToken realm="gatehouse", header="X-Client-Token", error="invalid_token", error_description="token has been revoked"'],
    headers: undefined
  })
})
