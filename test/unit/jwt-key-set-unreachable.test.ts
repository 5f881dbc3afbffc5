import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { makeKey, startJwksServer } from '../helpers/jwt.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

t.test('a key set that cannot be fetched is a 503 with Retry-After, never a 401 for the token', async t => {
  const key = await makeKey('RS256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  jwks.failing = true
  const u = await authUnit(jwtYaml({ secret: undefined, jwksUri: jwks.url }))
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, key)))), {
    status: 503,
    code: 'auth_unavailable',
    headers: { 'retry-after': /^[0-9]+$/ }
  })
})
