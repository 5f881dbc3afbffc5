import t from 'tap'
import { jwtCacheCredential } from '../../src/auth/jwt.js'
import type { Cache } from '../../src/cache/cache.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

/** As with Redis: nothing in this process's tier, and an eviction here leaves the shared entry in place. */
const shared = (cache: Cache): Cache => Object.assign(Object.create(cache) as Cache, { peek: () => undefined, evict: () => {} })

t.test('a stale entry in the shared tier (past its exp) is never the answer: the token is verified again and the entry replaced', async t => {
  const u = await authUnit(jwtYaml(), undefined, { wrapCache: shared })
  const cfg = u.config.authenticators.get('idp') as AuthenticatorConfig<'jwt'>
  const now = Math.floor(u.clock() / 1000)
  const token = await signAt(u.clock, undefined, { exp: now + 60 })
  const key = jwtCacheCredential(cfg, u.config, token)
  await u.cache.set('jwt', key, { id: 'cached-user', scopes: ['s'], exp: now }, 600_000)
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(token))), { id: 'alice', scopes: [] })
  t.match(await u.cache.get('jwt', key), { id: 'alice' }, 'replaced')
})
