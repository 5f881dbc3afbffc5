import t from 'tap'
import { SignJWT } from 'jose'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('two issuers on one route: each token goes to the authenticator that owns its iss', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('RS256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const secret = 'the-django-backend-signing-key-0123456789abcdef'
  const gw = await startTestGateway(t, `${TEST_SERVER}
authenticators:
  auth0: { type: jwt, issuer: "https://idp.test/", audience: orders-api, jwksUri: "${jwks.url}" }
  django: { type: jwt, issuer: "https://backend.test", audience: false, secret: "${secret}", userClaim: user_id, requiredClaims: { token_type: access } }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: orders
    policy: user
    user: [auth0, django]
`)
  const get = async (token: string): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, body: res.json() }
  }
  const now = Math.floor(Date.now() / 1000)
  const django = async (claims: Record<string, unknown>): Promise<string> =>
    await new SignJWT({ iss: 'https://backend.test', user_id: 7, token_type: 'access', exp: now + 300, ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(secret))

  const a = await get(await sign(key))
  t.equal(a.status, 200)
  t.equal((a.body as unknown as Echo).headers['remote-auth'], 'auth0', 'an IdP token: the JWKS authenticator')
  const b = await get(await django({}))
  t.equal(b.status, 200)
  t.equal((b.body as unknown as Echo).headers['remote-auth'], 'django', 'a backend token: passed over by auth0, taken by django')
  t.equal((b.body as unknown as Echo).headers['remote-user'], '7')

  const expired = await get(await django({ exp: now - 60 }))
  t.equal(expired.status, 401, 'an expired backend token is refused by its owner')
  t.equal(expired.body.detail, 'token expired')
  const refresh = await get(await django({ token_type: 'refresh' }))
  t.equal(refresh.status, 401, 'a simplejwt refresh token is not an access token')
  t.equal(refresh.body.detail, 'refresh tokens are not accepted')

  const impostor = await get(await django({ iss: 'https://idp.test/' }))
  t.equal(impostor.status, 401, 'an HS256 token claiming the IdP as issuer goes to the IdP authenticator, which refuses it')
  t.equal(impostor.body.detail, 'algorithm not allowed')

  const opaque = await get('2YotnFZFEjr1zCsicMWpAA')
  t.equal(opaque.status, 401, 'an opaque (non-JWT) token is left to other authenticators: none here claims it, so it is invalid')
  t.equal(opaque.body.code, 'invalid_token')

  const stranger = await get(await sign(key, { iss: 'https://elsewhere.test/' }))
  t.equal(stranger.status, 401, 'a token of an issuer nobody owns: 401')
  t.equal(stranger.body.code, 'invalid_token', 'a credential nobody claims is never treated as absent')
})
