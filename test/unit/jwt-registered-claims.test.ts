import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { AUDIENCE } from '../helpers/jwt.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

const refused = (detail: string): object => ({
  status: 401,
  code: 'invalid_token',
  detail,
  challenges: [`Bearer realm="gatehouse", error="invalid_token", error_description="${detail}"`]
})

t.test("another issuer, or none, is not this authenticator's token: no decision, the next authenticator is asked", async t => {
  const u = await authUnit(jwtYaml())
  t.equal(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { iss: 'https://other.test/' })))), undefined)
  t.equal(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { iss: undefined })))), undefined)
})

t.test("audience: the token's aud must hold one of the configured ones; false accepts any", async t => {
  const one = await authUnit(jwtYaml())
  t.same(await authOutcome(one.get('idp'), authRequest(bearer(await signAt(one.clock, undefined, { aud: 'billing-api' })))), refused('wrong audience'))
  t.same(await authOutcome(one.get('idp'), authRequest(bearer(await signAt(one.clock, undefined, { aud: undefined })))), refused('token has no aud claim'))
  t.match(await authOutcome(one.get('idp'), authRequest(bearer(await signAt(one.clock, undefined, { aud: ['billing-api', AUDIENCE] })))), { id: 'alice' })
  const list = await authUnit(jwtYaml({ audience: ['billing-api', 'other'] }))
  t.match(await authOutcome(list.get('idp'), authRequest(bearer(await signAt(list.clock, undefined, { aud: 'other' })))), { id: 'alice' })
  t.same(await authOutcome(list.get('idp'), authRequest(bearer(await signAt(list.clock)))), refused('wrong audience'))
  const any = await authUnit(jwtYaml({ audience: false }))
  t.match(await authOutcome(any.get('idp'), authRequest(bearer(await signAt(any.clock, undefined, { aud: 'billing-api' })))), { id: 'alice' })
})

t.test('exp is required and ends the token on the clock, with clockTolerance', async t => {
  const u = await authUnit(jwtYaml())
  t.same(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { exp: undefined })))), refused('token has no exp claim'))
  const token = await signAt(u.clock, undefined, { exp: Math.floor(u.clock() / 1000) + 60 })
  u.clock.advance(59_999)
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(token))), { id: 'alice', exp: Math.floor(u.clock() / 1000) + 1 })
  u.clock.advance(1)
  t.same(
    await authOutcome(u.get('idp'), authRequest(bearer(token))),
    refused('token expired'),
    'at exp: refused, though verified (and cached) a millisecond before'
  )
  const tolerant = await authUnit(jwtYaml({ clockTolerance: '30s' }))
  const late = await signAt(tolerant.clock, undefined, { exp: Math.floor(tolerant.clock() / 1000) - 29 })
  t.match(await authOutcome(tolerant.get('idp'), authRequest(bearer(late))), { id: 'alice' }, '29 s past exp: within 30 s of tolerance')
  tolerant.clock.advance(1000)
  t.same(await authOutcome(tolerant.get('idp'), authRequest(bearer(late))), refused('token expired'), '30 s past exp: refused')
})

t.test('nbf: not valid before it, with clockTolerance', async t => {
  const u = await authUnit(jwtYaml({ clockTolerance: '10s' }))
  const now = Math.floor(u.clock() / 1000)
  t.same(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { nbf: now + 11 })))), refused('token not yet valid'))
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { nbf: now + 10 })))), { id: 'alice' })
})

t.test('iat ahead of the clock (past the tolerance) is refused: a token minted in the future', async t => {
  const u = await authUnit(jwtYaml({ clockTolerance: '10s' }))
  const now = Math.floor(u.clock() / 1000)
  t.same(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { iat: now + 11 })))), refused('token issued in the future'))
  t.match(
    await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { iat: now + 10 })))),
    { id: 'alice' },
    'at the tolerance: accepted'
  )
  const strict = await authUnit(jwtYaml())
  const s = Math.floor(strict.clock() / 1000)
  t.same(
    await authOutcome(strict.get('idp'), authRequest(bearer(await signAt(strict.clock, undefined, { iat: s + 1 })))),
    refused('token issued in the future'),
    'no tolerance: one second ahead'
  )
  t.match(
    await authOutcome(strict.get('idp'), authRequest(bearer(await signAt(strict.clock, undefined, { iat: undefined })))),
    { id: 'alice' },
    'no iat: nothing to compare'
  )
})

t.test('requiredClaims: each present with exactly the configured value', async t => {
  const u = await authUnit(jwtYaml({ requiredClaims: { token_type: 'access', ver: 2 } }))
  const idp = u.get('idp')
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { token_type: 'access', ver: 2 })))), { id: 'alice' })
  t.same(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { ver: 2 })))), refused('token has no token_type claim'))
  t.same(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { token_type: 'id', ver: 2 })))), refused('token_type must be access'))
  t.same(
    await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { token_type: 'access', ver: '2' })))),
    refused('ver must be 2'),
    'strict comparison: "2" is not 2'
  )
})
