import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

t.test('no Bearer credential is no decision; a malformed or oversized one is refused without a call', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep))
  const as = u.get('as')
  t.equal(await authOutcome(as, authRequest()), undefined)
  t.equal(await authOutcome(as, authRequest({ authorization: 'Basic YTpi' })), undefined)
  const refused = (detail: string): object => ({
    status: 401,
    code: 'invalid_token',
    detail,
    challenges: [`Bearer realm="gatehouse", error="invalid_token", error_description="${detail}"`],
    headers: undefined
  })
  t.same(await authOutcome(as, authRequest({ authorization: 'Bearer a,b' })), refused('malformed bearer token'))
  t.same(await authOutcome(as, authRequest({ authorization: 'Bearer ' })), refused('malformed bearer token'), 'an empty token is malformed, not absent')
  t.same(await authOutcome(as, authRequest(bearer('x'.repeat(4097)))), refused('bearer token is too long'))
  t.equal(ep.calls.length, 0, 'none of them reached the authorization server')
  ep.answers.set('x'.repeat(4096), { active: true, sub: 'alice' })
  t.match(await authOutcome(as, authRequest(bearer('x'.repeat(4096)))), { id: 'alice' }, '4096 characters: asked')
})
