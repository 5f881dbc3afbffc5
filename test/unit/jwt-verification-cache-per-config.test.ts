import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

// Two configs on one shared cache (instances of a rolling deploy on one Redis, or a reload).
t.test('a verification cached under one config is not the answer under another audience', async t => {
  const first = await authUnit(jwtYaml())
  const token = await signAt(first.clock)
  t.match(await authOutcome(first.get('idp'), authRequest(bearer(token))), { id: 'alice' })
  const other = await authUnit(jwtYaml({ audience: 'billing-api' }), first.clock, { wrapCache: () => first.cache })
  t.match(await authOutcome(other.get('idp'), authRequest(bearer(token))), { status: 401, code: 'invalid_token', detail: 'wrong audience' })
})

t.test('nor under a config that keeps claims the first one did not', async t => {
  const first = await authUnit(jwtYaml())
  const token = await signAt(first.clock, undefined, { email: 'alice@example.com' })
  t.match(await authOutcome(first.get('idp'), authRequest(bearer(token))), { id: 'alice', claims: {} })
  const keeping = await authUnit(jwtYaml({}, 'identity:\n  claims: { email: Remote-Email }\n'), first.clock, { wrapCache: () => first.cache })
  t.match(await authOutcome(keeping.get('idp'), authRequest(bearer(token))), { id: 'alice', claims: { email: 'alice@example.com' } })
})
