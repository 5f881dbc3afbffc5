import t from 'tap'
import { RevokedJtis, Revocations } from '../../src/tokens/revocation.js'
import type { GatewayCache } from '../../src/cache/two-tier.js'
import { authOutcome, authRequest, authUnit, CLIENT_TOKEN_YAML, quietLogger } from '../helpers/auth-unit.js'

t.test('a token revoked by another instance, known here only through the shared cache, is refused', async t => {
  const u = await authUnit(CLIENT_TOKEN_YAML)
  const { token, jti, exp } = await u.tokens.issueClientToken('android', ['orders:read'])
  // The other instance: the same shared cache, a revocation list of its own.
  const elsewhere = new Revocations(u.cache as GatewayCache, new RevokedJtis(100, u.clock), quietLogger, undefined, u.clock)
  await elsewhere.revoke({ jti, exp })
  t.equal(u.tokens.revocations.knownRevoked(jti), false, 'this instance has not heard of it')
  t.match(await authOutcome(u.get('tokens'), authRequest({ 'x-client-token': token })), {
    status: 401,
    code: 'invalid_token',
    detail: 'token has been revoked'
  })
})
