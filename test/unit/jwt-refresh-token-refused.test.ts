import t from 'tap'
import { saysRefresh } from '../../src/auth/jwt.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

t.test('a refresh token is refused whatever says so: typ header, token_type claim, typ claim', async t => {
  const u = await authUnit(jwtYaml())
  const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
    [{}, { typ: 'refresh' }],
    [{}, { typ: 'rt+jwt' }],
    [{}, { typ: 'application/refresh+jwt' }],
    [{}, { typ: 'Application/RT+JWT' }],
    [{ token_type: 'refresh' }, {}],
    [{ typ: 'Refresh' }, {}]
  ]
  for (const [claims, header] of cases) {
    t.same(
      await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, claims, header)))),
      {
        status: 401,
        code: 'invalid_token',
        detail: 'refresh tokens are not accepted',
        challenges: ['Bearer realm="gatehouse", error="invalid_token", error_description="refresh tokens are not accepted"'],
        headers: undefined
      },
      JSON.stringify([claims, header])
    )
  }
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { typ: 'Bearer', token_type: 'access' }, { typ: 'at+jwt' })))), {
    id: 'alice'
  })
})

t.test('saysRefresh reads only whole rt+jwt and strings', async t => {
  t.equal(saysRefresh('at+jwt', {}), false)
  t.equal(saysRefresh('xrt+jwt', {}), false)
  t.equal(saysRefresh('rt+jwtx', {}), false)
  t.equal(saysRefresh('application/rt+jwt', {}), true)
  t.equal(saysRefresh('x/rt+jwt', {}), false, 'only an application/ media type prefix is dropped')
  t.equal(saysRefresh('rt+application/jwt', {}), false, 'application/ is dropped as a leading prefix only, never from inside')
  t.equal(saysRefresh(undefined, { token_type: 7, typ: ['refresh'] }), false, 'not strings: nothing said')
  t.equal(saysRefresh(undefined, { typ: 'offline-refresh' }), true)
})
