import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

// RFC 7662 only says an inactive answer SHOULD NOT carry other claims: the gateway must not
// let a user, scopes and a future exp beside `active: false` stand for an active token.
t.test('active: false is refused even when the answer names a user, scopes and a future exp', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep))
  const exp = Math.floor(u.clock() / 1000) + 600
  ep.answers.set('revoked-token', { active: false, sub: 'alice', scope: 'orders:read', exp, client_id: 'web', token_type: 'Bearer' })
  ep.answers.set('live-token', { active: true, sub: 'alice', scope: 'orders:read', exp })
  t.same(await authOutcome(u.get('as'), authRequest(bearer('revoked-token'))), {
    status: 401,
    code: 'invalid_token',
    detail: 'token is not active',
    challenges: ['Bearer realm="gatehouse", error="invalid_token", error_description="token is not active"'],
    headers: undefined
  })
  t.match(
    await authOutcome(u.get('as'), authRequest(bearer('live-token'))),
    { kind: 'user', id: 'alice', scopes: ['orders:read'] },
    'the same answer with active: true passes'
  )
})

t.test('active given as anything but the boolean true is not an introspection answer: 503, never a pass', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep))
  ep.answers.set('stringly', { active: 'true', sub: 'alice' })
  ep.answers.set('numeric', { active: 1, sub: 'alice' })
  for (const token of ['stringly', 'numeric']) {
    t.match(await authOutcome(u.get('as'), authRequest(bearer(token))), { status: 503, code: 'auth_unavailable', headers: { 'retry-after': '5' } }, token)
  }
})
