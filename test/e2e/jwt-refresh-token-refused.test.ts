import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('a token that says it is a refresh token is refused, without requiredClaims', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}"`))
  const status = async (token: string): Promise<{ status: number, detail: unknown }> => {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, detail: res.json().detail }
  }

  const refused: Array<[string, string]> = [
    ['typ header refresh', await sign(key, {}, { typ: 'refresh' })],
    ['typ header rt+jwt', await sign(key, {}, { typ: 'rt+jwt' })],
    ['typ header application/refresh+jwt', await sign(key, {}, { typ: 'application/refresh+jwt' })],
    ['typ JWT with token_type refresh (simplejwt)', await sign(key, { token_type: 'refresh' }, { typ: 'JWT' })],
    ['token_type refresh_token', await sign(key, { token_type: 'refresh_token' })],
    ['Keycloak typ claim Refresh', await sign(key, { typ: 'Refresh' }, { typ: 'JWT' })]
  ]
  for (const [name, token] of refused) {
    t.same(await status(token), { status: 401, detail: 'refresh tokens are not accepted' }, `${name}: 401`)
  }
  for (const [name, token] of [
    ['typ at+jwt', await sign(key, {}, { typ: 'at+jwt' })],
    ['typ JWT with token_type access', await sign(key, { token_type: 'access' }, { typ: 'JWT' })],
    ['no typ at all', await sign(key, {})],
    ['Keycloak typ claim Bearer', await sign(key, { typ: 'Bearer' }, { typ: 'JWT' })]
  ] as Array<[string, string]>) {
    t.equal((await status(token)).status, 200, `${name}: 200`)
  }
})
