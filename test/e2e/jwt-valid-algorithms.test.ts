import t from 'tap'
import { SignJWT } from 'jose'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { AUDIENCE, ISSUER, jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('valid RS256 and ES256 tokens from a JWKS or a JWK Set file, EdDSA from a PEM file, HS256 from a shared secret', async t => {
  const upstream = await startEcho(t)
  const rsa = await makeKey('RS256', 'rsa-1')
  const ec = await makeKey('ES256', 'ec-1')
  const jwks = await startJwksServer(t, [rsa.jwk, ec.jwk])
  const viaJwks = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}"`))

  for (const key of [rsa, ec]) {
    const token = await sign(key, { scope: 'orders:read orders:write' })
    const res = await call(`${viaJwks.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 200, `${key.alg}: 200`)
    const echo = res.json<Echo>()
    t.equal(echo.headers['remote-user'], 'alice', `${key.alg}: Remote-User from sub`)
    t.equal(echo.headers['remote-scopes'], 'orders:read orders:write', `${key.alg}: Remote-Scopes`)
    t.equal(echo.headers['remote-auth'], 'idp')
    t.equal(echo.headers.authorization, undefined, `${key.alg}: the verified Authorization is not forwarded`)
  }

  const ed = await makeKey('EdDSA', 'ed-1')
  const viaPem = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, 'publicKey: ed.pem'), { files: { 'ed.pem': ed.pem } })
  const edRes = await call(`${viaPem.url}/api/orders`, { headers: { authorization: `Bearer ${await sign(ed)}` } })
  t.equal(edRes.status, 200, 'EdDSA with a PEM public key: 200')
  t.equal(edRes.json<Echo>().headers['remote-user'], 'alice')

  const fileKeys = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, 'publicKey: keys.json'), {
    files: { 'keys.json': JSON.stringify({ keys: [rsa.jwk, ec.jwk] }) }
  })
  for (const key of [rsa, ec]) {
    const res = await call(`${fileKeys.url}/api/orders`, { headers: { authorization: `Bearer ${await sign(key)}` } })
    t.equal(res.status, 200, `${key.alg} with a JWK Set file: 200`)
  }

  const secret = 'a-django-secret-key-of-at-least-32-bytes-0123456789'
  const viaSecret = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, 'secret: "${JWT_SECRET}"'), { env: { JWT_SECRET: secret } })
  const now = Math.floor(Date.now() / 1000)
  const hs = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, user_id: 42, sub: '42', exp: now + 300, token_type: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret))
  const hsRes = await call(`${viaSecret.url}/api/orders`, { headers: { authorization: `Bearer ${hs}` } })
  t.equal(hsRes.status, 200, 'HS256 with the shared secret: 200')
  t.equal(hsRes.json<Echo>().headers['remote-user'], '42')

  const wrongSecret = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: '42', exp: now + 300 })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode('another-secret-key-of-at-least-32-bytes-xxxxx'))
  const bad = await call(`${viaSecret.url}/api/orders`, { headers: { authorization: `Bearer ${wrongSecret}` } })
  t.equal(bad.status, 401, 'HS256 with another secret: 401')
  t.equal(bad.json().detail, 'bad signature')
})
