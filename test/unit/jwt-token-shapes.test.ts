import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { b64u } from '../helpers/jwt.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

t.test('no bearer token, or an opaque one, is no decision: another authenticator may own it', async t => {
  const u = await authUnit(jwtYaml())
  const idp = u.get('idp')
  t.equal(await authOutcome(idp, authRequest()), undefined)
  t.equal(await authOutcome(idp, authRequest({ authorization: 'Basic YTpi' })), undefined)
  t.equal(await authOutcome(idp, authRequest({ authorization: 'Bearer ' })), undefined)
  t.equal(await authOutcome(idp, authRequest(bearer('opaque-token_0123'))), undefined)
  t.equal(await authOutcome(idp, authRequest(bearer('a.b'))), undefined)
  t.equal(await authOutcome(idp, authRequest(bearer('a.b.c.d'))), undefined)
  t.same([idp.name, idp.type, idp.principal], ['idp', 'jwt', 'user'])
  t.same(idp.challenge, { scheme: 'Bearer', params: { realm: 'gatehouse' } })
  t.same(idp.consumes, { headers: ['authorization'], query: [], protocols: [] })
})

t.test('three dot-separated parts that are not a JWS, or do not decode, are refused as malformed', async t => {
  const u = await authUnit(jwtYaml())
  const idp = u.get('idp')
  const malformed = {
    status: 401,
    code: 'invalid_token',
    detail: 'malformed token',
    challenges: ['Bearer realm="gatehouse", error="invalid_token", error_description="malformed token"'],
    headers: undefined
  }
  t.same(await authOutcome(idp, authRequest(bearer('a.b!.c'))), malformed, 'a character outside base64url')
  t.same(await authOutcome(idp, authRequest(bearer('abc.def.ghi'))), malformed, 'base64url, but no JSON inside')
  t.same(await authOutcome(idp, authRequest(bearer(`${b64u({ alg: 'HS256' })}.${b64u('[1]')}.sig`))), malformed, 'a payload that is not an object')
})

t.test('a token longer than maxTokenSize is refused before it is parsed; one at the size is read', async t => {
  const clock = (await authUnit(jwtYaml())).clock
  const token = await signAt(clock)
  const fits = await authUnit(jwtYaml({ maxTokenSize: token.length }), clock)
  t.match(await authOutcome(fits.get('idp'), authRequest(bearer(token))), { id: 'alice' })
  const tight = await authUnit(jwtYaml({ maxTokenSize: token.length - 1 }), clock)
  t.match(await authOutcome(tight.get('idp'), authRequest(bearer(token))), { status: 401, code: 'invalid_token', detail: 'token too large' })
  t.match(
    await authOutcome(tight.get('idp'), authRequest(bearer('x'.repeat(token.length)))),
    { status: 401, code: 'invalid_token', detail: 'token too large' },
    'even an opaque one'
  )
})
