import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { makeKey } from '../helpers/jwt.js'
import { bearer, jwtYaml, signAt, unsignedAt } from '../helpers/jwt-unit.js'

// The algorithm list is what refuses a token the key set could verify: keys are picked by
// type, so only a narrowed list tells an ES256 token from an RS256 one when both keys are published.
t.test('algorithms narrowed to RS256: an ES256 token the published EC key verifies is refused', async t => {
  const rsa = await makeKey('RS256', 'rsa-1')
  const ec = await makeKey('ES256', 'ec-1')
  const publicKey = JSON.stringify({ keys: [rsa.jwk, ec.jwk] })
  const narrowed = await authUnit(jwtYaml({ secret: undefined, publicKey, algorithms: ['RS256'] }))
  const idp = narrowed.get('idp')
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(narrowed.clock, rsa)))), { kind: 'user', id: 'alice' }, 'RS256 is allowed')
  t.same(await authOutcome(idp, authRequest(bearer(await signAt(narrowed.clock, ec)))), {
    status: 401,
    code: 'invalid_token',
    detail: 'algorithm not allowed',
    challenges: ['Bearer realm="gatehouse", error="invalid_token", error_description="algorithm not allowed"'],
    headers: undefined
  })
  const open = await authUnit(jwtYaml({ secret: undefined, publicKey }))
  t.match(
    await authOutcome(open.get('idp'), authRequest(bearer(await signAt(open.clock, ec)))),
    { id: 'alice' },
    'by default the EC key verifies it: the list alone refused it'
  )
})

t.test('a shared secret narrowed to HS384: an HS256 token signed with that very secret is refused', async t => {
  const u = await authUnit(jwtYaml({ algorithms: ['HS384'] }))
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, {}, { alg: 'HS384' })))), { id: 'alice' })
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock)))), { status: 401, code: 'invalid_token', detail: 'algorithm not allowed' })
})

t.test('alg none and an HMAC token against a public key are refused', async t => {
  const rsa = await makeKey('RS256', 'rsa-1')
  const u = await authUnit(jwtYaml({ secret: undefined, publicKey: rsa.pem }))
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, rsa)))), { id: 'alice' }, 'the key itself verifies')
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(unsignedAt(u.clock)))), { status: 401, code: 'invalid_token', detail: 'algorithm not allowed' })
  t.match(
    await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock)))),
    { status: 401, code: 'invalid_token', detail: 'algorithm not allowed' },
    'HS256'
  )
})
