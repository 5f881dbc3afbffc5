import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('identity values have one allowed form: anything an upstream could read differently is 401, never forwarded, never a 502', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}"`, `identity:
  claims: { email: Remote-Email, groups: Remote-Groups }`))
  const get = async (claims: Record<string, unknown>): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${await sign(key, claims)}` } })
    return { status: res.status, body: res.json() }
  }

  const ok = await get({ sub: 'alice@corp.example', scope: 'orders:read', email: 'Zoë@corp.example', groups: ['staff', 'ops'] })
  t.equal(ok.status, 200, 'an ordinary identity passes (Latin-1 in a mapped claim is a valid header value)')
  t.equal((ok.body as unknown as Echo).headers['remote-email'], 'Zoë@corp.example')

  const refused: Array<[string, Record<string, unknown>]> = [
    ['a user id with surrounding spaces (parsers trim " admin " to "admin")', { sub: ' admin ' }],
    ['a user id with a comma and a tab (reads as a list)', { sub: 'alice,\tbob' }],
    ['a user id with a control character', { sub: 'alice\u0001' }],
    ['a user id above U+00FF', { sub: 'łukasz' }],
    ['a scope element with a space (one scope here, two upstream)', { sub: 'carol', scp: ['orders:read admin:all'] }],
    ['a mapped claim above U+00FF', { sub: 'dave', email: 'Łukasz@corp.example' }],
    ['a mapped list claim whose element has a comma', { sub: 'erin', groups: ['staff,admins'] }],
    ['a mapped claim that is an object', { sub: 'frank', groups: { role: 'admin' } }]
  ]
  for (const [name, claims] of refused) {
    const res = await get(claims)
    t.equal(res.status, 401, `${name}: 401`)
    t.equal(res.body.code, 'invalid_token', `${name}: invalid_token`)
  }
  const denials = gw.logs.filter(l => l.msg === 'request' && l.decision === 'deny' && String(l.reason).startsWith('invalid_token'))
  t.equal(denials.length, refused.length, 'each refusal is logged as a denial with its reason')
})
