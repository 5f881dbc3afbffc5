import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

t.test('an active answer: the user, scopes, token client, exp, and only the claims the config reads', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, {}, 'identity:\n  claims: { email: Remote-Email, active: Remote-Active }\n'))
  const exp = Math.floor(u.clock() / 1000) + 600
  ep.answers.set('tok-1', { active: true, sub: 'alice', scope: 'orders:read  orders:write', client_id: 'web', exp, email: 'a@x', secret: 's' })
  t.same(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), {
    kind: 'user', id: 'alice', scopes: ['orders:read', 'orders:write'], authenticator: 'as', claims: { email: 'a@x' }, tokenClientId: 'web', exp
  }, '`active` is the answer\'s, never a user claim')
  ep.answers.set('tok-2', { active: true, sub: 7, client_id: 7 })
  t.same(await authOutcome(u.get('as'), authRequest(bearer('tok-2'))), {
    kind: 'user', id: '7', scopes: [], authenticator: 'as', claims: {}, tokenClientId: undefined, exp: undefined
  }, 'a numeric sub; no scope, no exp, no client, none of the claims')
  const as = u.get('as')
  t.same([as.name, as.type, as.principal], ['as', 'introspection', 'user'])
  t.same(as.challenge, { scheme: 'Bearer', params: { realm: 'gatehouse' } })
  t.same(as.consumes, { headers: ['authorization'], query: [] })
})

t.test('userClaim and scopeClaim name other fields of the answer', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, { userClaim: 'username', scopeClaim: 'scp' }))
  ep.answers.set('tok-1', { active: true, sub: 'u-1', username: 'alice', scope: 'a', scp: ['b', 3, 'c'] })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { id: 'alice', scopes: ['b', 'c'] })
  ep.answers.set('tok-2', { active: true, sub: 'u-2' })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-2'))), { status: 401, code: 'invalid_token', detail: 'token has no username' })
})

t.test('an active answer that is expired, not a bearer access token, or names no user is refused', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep))
  const now = Math.floor(u.clock() / 1000)
  const cases: Array<[unknown, string]> = [
    [{ active: true, sub: 'alice', exp: now }, 'token has expired'],
    [{ active: true, sub: 'alice', token_type: 'refresh_token' }, 'not a bearer access token'],
    [{ active: true, sub: '' }, 'token has no sub'],
    [{ active: true, sub: true }, 'token has no sub']
  ]
  for (const [i, [answer, detail]] of cases.entries()) {
    ep.answers.set(`tok-${i}`, answer)
    t.match(await authOutcome(u.get('as'), authRequest(bearer(`tok-${i}`))), { status: 401, code: 'invalid_token', detail }, detail)
  }
  for (const type of ['Bearer', 'access_token', 'BEARER']) {
    ep.answers.set(type, { active: true, sub: 'alice', token_type: type })
    t.match(await authOutcome(u.get('as'), authRequest(bearer(type))), { id: 'alice' }, type)
  }
})
