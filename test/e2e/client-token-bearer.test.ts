import t from 'tap'
import { SignJWT, importJWK, type CryptoKey } from 'jose'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { ISSUER, SECRETS, fetchToken, jwksFile, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('with bearer: true a client token is also taken from Authorization: Bearer, and foreign bearer tokens pass by', async t => {
  const upstream = await startEcho(t)
  const keys = jwksFile(await signingKey())
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream, bearer: true }), { files: { 'keys.json': keys } })
  const token = await fetchToken(gw.url, 'android', SECRETS.android)
  const url = `${gw.url}/api/orders/1`

  const ok = await call(url, { headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.status, 200)
  t.equal(ok.json<Echo>().headers['remote-client'], 'android')
  t.equal(ok.json<Echo>().headers.authorization, undefined, 'the consumed Authorization is not forwarded')

  const other = await importJWK(await signingKey(), 'EdDSA') as CryptoKey
  const foreign = await new SignJWT({ sub: 'someone' })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer('https://idp.example.com/')
    .setExpirationTime('5m')
    .sign(other)
  const passed = await call(url, { headers: { authorization: `Bearer ${foreign}` } })
  t.equal(passed.status, 401)
  t.equal(passed.json().code, 'invalid_token', 'another issuer\'s token is not this authenticator\'s kind, and nothing else on the route takes it')
  t.equal(passed.headers['www-authenticate'], 'Bearer realm="gatehouse"')

  const forged = await new SignJWT({ sub: 'android', client_id: 'android', scope: '', jti: 'j' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k' })
    .setIssuer(ISSUER)
    .setExpirationTime('5m')
    .sign(other)
  const bad = await call(url, { headers: { authorization: `Bearer ${forged}` } })
  t.equal(bad.status, 401)
  t.equal(bad.json().code, 'invalid_token', 'a token claiming our issuer is ours to refuse')
  t.match(bad.headers['www-authenticate'], /^Bearer realm="gatehouse", error="invalid_token"/)

  const headerOnly = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': keys } })
  const ignored = await call(`${headerOnly.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(ignored.json().code, 'missing_credentials', 'without bearer: true only the header is read: Authorization is not this route\'s credential at all')
})
