import t from 'tap'
import type { Cache } from '../../src/cache/cache.js'
import { authOutcome, authRequest, authUnit, CLIENT_TOKEN_YAML } from '../helpers/auth-unit.js'

/** A cache whose shared tier cannot be reached: every verification lookup fails. */
const unreachable = (cache: Cache): Cache => Object.assign(Object.create(cache) as Cache, {
  getOrLoad: async () => { throw new Error('redis: connection refused') }
})

t.test('a client token that cannot be checked (the cache is unreachable) is a 503 with Retry-After, not a pass or a 401', async t => {
  const u = await authUnit(CLIENT_TOKEN_YAML, undefined, { wrapCache: unreachable })
  const { token } = await u.tokens.issueClientToken('android', ['orders:read'])
  t.same(await authOutcome(u.get('tokens'), authRequest({ 'x-client-token': token })), {
    status: 503,
    code: 'auth_unavailable',
    detail: 'client tokens cannot be checked right now',
    challenges: [],
    headers: { 'retry-after': '1' }
  })
})
