import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

t.test('each introspection call is observed with its duration in seconds, no more than the call took', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const observed: Array<{ call: string, name: string, seconds: number, ok: boolean }> = []
  const u = await authUnit(introspectionYaml(ep), undefined, { observe: (call, name, seconds, ok) => { observed.push({ call, name, seconds, ok }) } })
  ep.answers.set('tok-1', { active: true, sub: 'alice' })
  const started = performance.now()
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { kind: 'user', id: 'alice' })
  const tookS = (performance.now() - started) / 1000
  t.equal(observed.length, 1)
  t.match(observed[0], { call: 'introspection', name: 'as', ok: true })
  const seconds = observed[0]?.seconds ?? NaN
  t.ok(seconds >= 0 && seconds <= tookS, `${seconds} s, within the ${tookS} s the authentication took`)
})
