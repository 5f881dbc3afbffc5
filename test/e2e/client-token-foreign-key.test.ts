import t from 'tap'
import { SignJWT, importJWK, type CryptoKey } from 'jose'
import { randomUUID } from 'node:crypto'
import { startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { ISSUER, jwksFile, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('a token with every right claim but signed by a key that is not the gateway\'s is refused', async t => {
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const ours = await signingKey()
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': jwksFile(ours) } })
  const theirs = await signingKey()
  const theirKey = await importJWK(theirs, 'EdDSA') as CryptoKey
  const forge = async (kid: string): Promise<string> =>
    await new SignJWT({ sub: 'android', client_id: 'android', scope: 'orders:read orders:write', jti: randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setIssuer(ISSUER).setIssuedAt().setExpirationTime('10m')
      .sign(theirKey)

  for (const [name, kid, detail] of [
    ['unknown kid', theirs.kid as string, 'token is not signed by a key of this gateway'],
    ['our kid, another key', ours.kid as string, 'token signature is invalid']
  ] as const) {
    const res = await call(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': await forge(kid) } })
    t.equal(res.status, 401, `${name}: 401`)
    t.equal(res.json().code, 'invalid_token')
    t.equal(res.json().detail, detail)
  }
  const header = Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')
  const payload = Buffer.from(JSON.stringify({ iss: ISSUER, sub: 'android', client_id: 'android', scope: '', jti: 'x', exp: 9999999999 })).toString('base64url')
  const none = `${header}.${payload}.`
  for (const [name, token] of [['alg none', none], ['garbage', 'not-a-jwt']]) {
    const res = await call(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': token } })
    t.equal(res.status, 401, `${name}: 401`)
    t.equal(res.json().code, 'invalid_token')
  }
  t.equal(echo.requests, 0, 'no forged token reached the upstream')
})
