import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

// The JWKS serves an RSA and an EC key, both able to verify their own tokens: only `algorithms` keeps ES256 out.
t.test('algorithms narrows what a JWKS may verify: an ES256 token signed by the served EC key is refused under [RS256]', async t => {
  const upstream = await startCountingEcho(t)
  const rsa = await makeKey('RS256', 'rsa-1')
  const ec = await makeKey('ES256', 'ec-1')
  const jwks = await startJwksServer(t, [rsa.jwk, ec.jwk])
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream.url, `jwksUri: "${jwks.url}", algorithms: [RS256]`))
  const get = async (token: string): Promise<number> => (await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })).status

  t.equal(await get(await sign(ec)), 401, 'ES256 from the served EC key: 401')
  t.equal(await get(await sign(ec, {}, { kid: undefined })), 401, 'ES256 without a kid: 401')
  t.equal(upstream.requests, 0, 'the upstream never saw an ES256 request')
  t.equal(await get(await sign(rsa)), 200, 'RS256 from the served RSA key: 200')
  t.equal(upstream.requests, 1, 'only the allowed algorithm reached the upstream')
})
