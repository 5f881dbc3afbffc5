import t from 'tap'
import { jwtCacheCredential } from '../../src/auth/jwt.js'
import type { Cache } from '../../src/cache/cache.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

/** Records the TTL of every entry the authenticator stores. */
function recording (ttls: number[]): (cache: Cache) => Cache {
  return cache => Object.assign(Object.create(cache) as Cache, {
    getOrLoad: async <T>(kind: string, credential: string, load: () => Promise<{ value: T, ttlMs: number }>): Promise<T> =>
      await cache.getOrLoad(kind, credential, async () => {
        const loaded = await load()
        ttls.push(loaded.ttlMs)
        return loaded
      }),
    set: async (kind: string, credential: string, value: unknown, ttlMs: number): Promise<void> => {
      ttls.push(ttlMs)
      await cache.set(kind, credential, value, ttlMs)
    }
  })
}

t.test('a verification is cached until the token expires (with the tolerance), at most 10 minutes', async t => {
  const ttls: number[] = []
  const u = await authUnit(jwtYaml({ clockTolerance: '5s' }), undefined, { wrapCache: recording(ttls) })
  const now = Math.floor(u.clock() / 1000)
  await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { exp: now + 60 }))))
  await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { exp: now + 3600 }))))
  t.same(ttls, [65_000, 600_000])
})

t.test('a cached verification is the answer while fresh; a stale one (another instance\'s, past exp) is verified again and replaced', async t => {
  const ttls: number[] = []
  const u = await authUnit(jwtYaml(), undefined, { wrapCache: recording(ttls) })
  const cfg = u.config.authenticators.get('idp') as AuthenticatorConfig<'jwt'>
  const now = Math.floor(u.clock() / 1000)
  const token = await signAt(u.clock, undefined, { exp: now + 60 })
  const key = jwtCacheCredential(cfg, u.config, token)
  // As a shared tier may hold it: written under this config, for this token, with another user.
  await u.cache.set('jwt', key, { id: 'cached-user', scopes: ['s'], exp: now + 60 }, 600_000)
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(token))), { id: 'cached-user', scopes: ['s'] }, 'a fresh entry is used as is')
  await u.cache.set('jwt', key, { id: 'cached-user', scopes: ['s'], exp: now }, 600_000)
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(token))), { id: 'alice', scopes: [] }, 'an entry past its exp is verified again')
  t.match(await u.cache.get('jwt', key), { id: 'alice' }, 'and replaced')
  t.equal(ttls.at(-1), 60_000)
  u.clock.advance(60_000)
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(token))), { status: 401, code: 'invalid_token', detail: 'token expired' })
})
