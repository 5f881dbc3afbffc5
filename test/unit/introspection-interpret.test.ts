import t from 'tap'
import { interpret, type IntrospectionSettings } from '../../src/auth/introspection.js'

const NOW = Date.UTC(2030, 0, 1)
const settings = {
  userClaim: 'sub',
  scopeClaim: 'scope',
  cacheTtlMs: 300_000,
  negativeCacheTtlMs: 10_000,
  keepClaims: ['email', 'active']
} as unknown as IntrospectionSettings

t.test('an active token: its user, scopes and kept claims, cached until exp or cacheTtl, whichever is first', async t => {
  const exp = NOW / 1000 + 60
  const { result, ttlMs } = interpret({ active: true, sub: 'alice', scope: 'a b', exp, email: 'a@x', client_id: 'web', other: 1 }, settings, NOW)
  t.match(result, { active: true, id: 'alice', scopes: ['a', 'b'], claims: { email: 'a@x' }, tokenClientId: 'web', exp })
  t.notOk('active' in ((result as { claims?: object }).claims ?? {}), '`active` is never a user claim')
  t.equal(ttlMs, 60_000)
  t.equal(interpret({ active: true, sub: 'alice' }, settings, NOW).ttlMs, 300_000, 'no exp: cacheTtl')
  t.equal(interpret({ active: true, sub: 7, scope: ['x', 3] }, settings, NOW).result.active, true, 'a numeric sub, a list scope')
})

t.test('refusals are cacheable results for negativeCacheTtl', async t => {
  const refused = (body: unknown): unknown => {
    const { result, ttlMs } = interpret(body, settings, NOW)
    t.equal(ttlMs, 10_000)
    return result
  }
  t.same(refused({ active: false }), { active: false, reason: 'token is not active' })
  t.same(refused({ active: true, sub: 'a', exp: NOW / 1000 }), { active: false, reason: 'token has expired' })
  t.same(refused({ active: true, sub: 'a', token_type: 'refresh_token' }), { active: false, reason: 'not a bearer access token' })
  t.same(refused({ active: true, sub: '' }), { active: false, reason: 'token has no sub' })
  t.equal((interpret({ active: true, sub: 'a', token_type: 'Bearer' }, settings, NOW).result).active, true)
})

t.test('an answer that is not an introspection response throws: a 503, never cached', async t => {
  for (const body of [null, [], 'active', { active: 'true' }, {}]) t.throws(() => interpret(body, settings, NOW), /malformed introspection response/)
  t.throws(() => interpret({ active: true, sub: 'a', exp: '123' }, settings, NOW), /exp is not a number/)
})
