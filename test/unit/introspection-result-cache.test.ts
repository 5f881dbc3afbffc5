import t from 'tap'
import { introspectionCacheCredential, introspectionPartition } from '../../src/auth/introspection.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

t.test('an active result is reused until min(exp, cacheTtl); an inactive one for negativeCacheTtl', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, { cacheTtl: '60s', negativeCacheTtl: '5s' }))
  const as = u.get('as')
  const now = Math.floor(u.clock() / 1000)
  ep.answers.set('long', { active: true, sub: 'alice' })
  ep.answers.set('short', { active: true, sub: 'bob', exp: now + 30 })
  const calls = (token: string): number => ep.calls.filter(c => c.form.token === token).length
  for (const token of ['long', 'short', 'gone']) await authOutcome(as, authRequest(bearer(token)))
  u.clock.advance(4999)
  for (const token of ['long', 'short', 'gone']) await authOutcome(as, authRequest(bearer(token)))
  t.same([calls('long'), calls('short'), calls('gone')], [1, 1, 1], 'all three cached')
  u.clock.advance(2)
  t.match(await authOutcome(as, authRequest(bearer('gone'))), { status: 401, detail: 'token is not active' })
  t.equal(calls('gone'), 2, 'the negative result lasted 5 s')
  u.clock.advance(25_000)
  t.match(
    await authOutcome(as, authRequest(bearer('short'))),
    { status: 401, detail: 'token has expired' },
    'past its exp: asked again, the answer itself says expired'
  )
  t.equal(calls('short'), 2)
  t.match(await authOutcome(as, authRequest(bearer('long'))), { id: 'alice' })
  t.equal(calls('long'), 1)
  u.clock.advance(30_000)
  await authOutcome(as, authRequest(bearer('long')))
  t.equal(calls('long'), 2, 'cacheTtl over')
})

t.test('a cached result past its exp (a clock that jumped) is refused without asking', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep))
  const cfg = u.config.authenticators.get('as') as AuthenticatorConfig<'introspection'>
  const credential = introspectionCacheCredential(introspectionPartition(cfg.spec), 'tok-1')
  const now = Math.floor(u.clock() / 1000)
  const fresh = await authUnit(introspectionYaml(ep), u.clock)
  ep.answers.set('tok-1', { active: true, sub: 'alice', exp: now + 60 })
  t.match(await authOutcome(fresh.get('as'), authRequest(bearer('tok-1'))), { id: 'alice' })
  const stored = await fresh.cache.get<Record<string, unknown>>('introspection', credential)
  t.match(stored, { active: true, id: 'alice', exp: now + 60 })
  await u.cache.set('introspection', credential, { ...stored, exp: now }, 600_000)
  t.same(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), {
    status: 401,
    code: 'invalid_token',
    detail: 'token has expired',
    challenges: ['Bearer realm="gatehouse", error="invalid_token", error_description="token has expired"'],
    headers: undefined
  })
  t.equal(ep.calls.length, 1, 'only the first authenticator asked')
  await u.cache.set('introspection', credential, { ...stored, exp: now + 1 }, 600_000)
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { id: 'alice', exp: now + 1 }, 'a second before exp: the cached result stands')
})

t.test('a result cached under a config that kept other claims is asked again and replaced', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, {}, 'identity:\n  claims: { email: Remote-Email }\n'))
  const cfg = u.config.authenticators.get('as') as AuthenticatorConfig<'introspection'>
  const credential = introspectionCacheCredential(introspectionPartition(cfg.spec), 'tok-1')
  ep.answers.set('tok-1', { active: true, sub: 'alice', email: 'a@x' })
  await u.cache.set('introspection', credential, { active: true, id: 'alice', scopes: [], k: 'othertag' }, 600_000)
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { id: 'alice', claims: { email: 'a@x' } })
  t.equal(ep.calls.length, 1)
  t.match(await u.cache.get('introspection', credential), { claims: { email: 'a@x' } }, 'replaced in the cache')
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { claims: { email: 'a@x' } })
  t.equal(ep.calls.length, 1, 'then reused')
})

t.test('two authorization servers never share a result for the same token', async t => {
  const a = await startIntrospectionEndpoint(t)
  const b = await startIntrospectionEndpoint(t)
  t.not(
    introspectionPartition({ type: 'introspection', endpoint: a.url, clientId: 'gw', clientSecret: 's' }),
    introspectionPartition({ type: 'introspection', endpoint: b.url, clientId: 'gw', clientSecret: 's' })
  )
  t.not(
    introspectionPartition({ type: 'introspection', endpoint: a.url, clientId: 'gw', clientSecret: 's' }),
    introspectionPartition({ type: 'introspection', endpoint: a.url, clientId: 'gw', clientSecret: 's', userClaim: 'username' })
  )
  t.not(
    introspectionPartition({ type: 'introspection', endpoint: a.url, clientId: 'gw', clientSecret: 's' }),
    introspectionPartition({ type: 'introspection', endpoint: a.url, clientId: 'gw', clientSecret: 's', scopeClaim: 'scp' })
  )
  t.not(
    introspectionPartition({ type: 'introspection', endpoint: a.url, clientId: 'gw', clientSecret: 's' }),
    introspectionPartition({ type: 'introspection', endpoint: a.url, clientId: 'other', clientSecret: 's' })
  )
  t.equal(
    introspectionPartition({ type: 'introspection', endpoint: '', issuer: a.issuer, clientId: 'gw', clientSecret: 's' }),
    introspectionPartition({ type: 'introspection', issuer: a.issuer, clientId: 'gw', clientSecret: 's' }),
    "an empty endpoint is the issuer's"
  )
})
