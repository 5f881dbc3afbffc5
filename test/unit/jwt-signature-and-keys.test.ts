import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { makeKey } from '../helpers/jwt.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

const refused = (detail: string): object => ({ status: 401, code: 'invalid_token', detail })

t.test('a changed payload or a signature by another key is refused: bad signature', async t => {
  const u = await authUnit(jwtYaml())
  const [h, , s] = (await signAt(u.clock)).split('.')
  const [, p] = (await signAt(u.clock, undefined, { sub: 'mallory' })).split('.')
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(`${h}.${p}.${s}`))), refused('bad signature'))
  const rsa = await makeKey('RS256', 'k1')
  const impostor = await makeKey('RS256', 'k1')
  const keyed = await authUnit(jwtYaml({ secret: undefined, publicKey: rsa.pem }), u.clock)
  t.match(await authOutcome(keyed.get('idp'), authRequest(bearer(await signAt(u.clock, impostor)))), refused('bad signature'))
})

t.test('a key set: a kid it does not publish is an unknown signing key', async t => {
  const k1 = await makeKey('RS256', 'k1')
  const u = await authUnit(jwtYaml({ secret: undefined, publicKey: JSON.stringify({ keys: [k1.jwk] }) }))
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, await makeKey('RS256', 'k2'))))), refused('unknown signing key'))
})

t.test('a kid-less token against a set of several fitting keys: each is tried', async t => {
  const [a, b, c] = await Promise.all([makeKey('RS256', 'a'), makeKey('RS256', 'b'), makeKey('RS256', 'c')])
  const keys = [a, b].map(k => ({ ...k.jwk, kid: undefined }))
  const u = await authUnit(jwtYaml({ secret: undefined, publicKey: JSON.stringify({ keys }) }))
  const idp = u.get('idp')
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, b, {}, { kid: undefined })))), { id: 'alice' }, 'the second key verifies it')
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, a, { sub: 'bob' }, { kid: undefined })))), { id: 'bob' }, 'the first too')
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, c, {}, { kid: undefined })))), refused('bad signature'), 'none of them')
  const expired = await signAt(u.clock, b, { exp: Math.floor(u.clock() / 1000) }, { kid: undefined })
  t.match(
    await authOutcome(idp, authRequest(bearer(expired))),
    refused('token expired'),
    'a key that verifies the signature decides: the claim check is its answer'
  )
})
