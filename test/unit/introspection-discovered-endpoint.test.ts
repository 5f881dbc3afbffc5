import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

t.test('an empty endpoint (as an unset environment variable leaves it) is found from the issuer\'s metadata', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, { endpoint: '', issuer: ep.issuer }))
  ep.answers.set('tok-1', { active: true, sub: 'alice' })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { kind: 'user', id: 'alice' })
  t.equal(ep.calls.length, 1, 'asked at the metadata\'s introspection_endpoint')
})
