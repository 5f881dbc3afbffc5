import t from 'tap'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { ISSUER, SECRETS, fetchToken, jwksFile, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('the published JWKS holds only public keys and verifies the gateway\'s tokens elsewhere', async t => {
  const upstream = await startEcho(t)
  const key = await signingKey()
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': jwksFile(key) } })

  const res = await call(`${gw.url}/.well-known/jwks.json`)
  t.equal(res.status, 200)
  t.match(res.headers['content-type'], /^application\/jwk-set\+json/)
  const jwks = res.json<{ keys: Array<Record<string, unknown>> }>()
  t.equal(jwks.keys.length, 1)
  t.match(jwks.keys[0], { kty: 'OKP', crv: 'Ed25519', kid: key.kid, alg: 'EdDSA', use: 'sig', x: key.x })
  t.equal(jwks.keys[0]?.d, undefined, 'no private part is published')
  t.notMatch(res.text, key.d as string)

  const token = await fetchToken(gw.url, 'ios', SECRETS.ios)
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(res.json()), { issuer: ISSUER, typ: 'at+jwt' })
  t.equal(payload.sub, 'ios', 'an independent verifier accepts the token')
  t.equal(protectedHeader.kid, key.kid)
})
