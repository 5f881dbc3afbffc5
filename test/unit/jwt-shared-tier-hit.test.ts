import t from 'tap'
import { jwtCacheCredential } from '../../src/auth/jwt.js'
import type { Cache } from '../../src/cache/cache.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

/** As with Redis: this process's tier has nothing, the shared tier has what another instance stored. */
const sharedOnly = (cache: Cache): Cache => Object.assign(Object.create(cache) as Cache, { peek: () => undefined })

t.test('a fresh verification another instance stored in the shared tier is the answer: the token is not verified again', async t => {
  const u = await authUnit(jwtYaml(), undefined, { wrapCache: sharedOnly })
  const cfg = u.config.authenticators.get('idp') as AuthenticatorConfig<'jwt'>
  const now = Math.floor(u.clock() / 1000)
  const token = await signAt(u.clock, undefined, { exp: now + 60 })
  await u.cache.set('jwt', jwtCacheCredential(cfg, u.config, token), { id: 'cached-user', scopes: ['s'], exp: now + 60 }, 600_000)
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(token))), { id: 'cached-user', scopes: ['s'] })
})
