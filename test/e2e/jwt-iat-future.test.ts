import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('a token issued in the future (beyond clockTolerance) is refused', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const strict = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}"`))
  const lenient = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}", clockTolerance: 30s`))
  const now = Math.floor(Date.now() / 1000)
  const answer = async (url: string, iat: number): Promise<{ status: number, detail: unknown }> => {
    const res = await call(`${url}/api/orders`, { headers: { authorization: `Bearer ${await sign(key, { iat, exp: iat + 600 })}` } })
    return { status: res.status, detail: res.json().detail }
  }

  t.same(await answer(strict.url, now + 120), { status: 401, detail: 'token issued in the future' }, 'iat two minutes ahead: 401')
  t.same(await answer(strict.url, now + 10), { status: 401, detail: 'token issued in the future' }, 'iat ahead, no tolerance: 401')
  t.equal((await answer(strict.url, now - 5)).status, 200, 'iat in the past: 200')
  t.same(await answer(lenient.url, now + 120), { status: 401, detail: 'token issued in the future' }, 'beyond clockTolerance: 401')
  t.equal((await answer(lenient.url, now + 10)).status, 200, 'within clockTolerance: 200')
})
