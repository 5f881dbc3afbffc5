import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { ISSUER, AUDIENCE, b64u } from '../helpers/jwt.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

const refused = (detail: string): object => ({
  status: 401,
  code: 'invalid_token',
  detail,
  challenges: [`Bearer realm="gatehouse", error="invalid_token", error_description="${detail}"`],
  headers: undefined
})

t.test('what a client is told when verification fails: malformed, unsupported, or which claim is invalid', async t => {
  const u = await authUnit(jwtYaml())
  const idp = u.get('idp')
  const now = Math.floor(u.clock() / 1000)
  const payload = b64u({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 600 })
  // The payload decodes (so the issuer is read and the token is ours); the header is what jose refuses.
  t.same(await authOutcome(idp, authRequest(bearer(`${b64u({ typ: 'JWT' })}.${payload}.c2ln`))), refused('malformed token'), 'a header without alg')
  t.same(
    await authOutcome(idp, authRequest(bearer(`${b64u({ alg: 'HS256', crit: ['x-ext'], 'x-ext': 1 })}.${payload}.c2ln`))),
    refused('unsupported token'),
    'a critical header extension the gateway does not know'
  )
  t.same(
    await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { iat: 'yesterday' as unknown as number })))),
    refused('invalid iat claim'),
    'a signed token whose iat is not a number'
  )
})
