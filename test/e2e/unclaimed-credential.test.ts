import t from 'tap'
import { SignJWT } from 'jose'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

const SECRET = 'an-hs256-secret-of-at-least-32-bytes!!'

t.test('a credential no authenticator of the route claims is 401, never anonymous', async t => {
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const gw = await startTestGateway(t, `${TEST_SERVER}
authenticators:
  idp: { type: jwt, issuer: https://idp.example/, audience: articles, secret: "${SECRET}", algorithms: [HS256] }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /articles/*
    upstream: web
    policy: public
    user: [idp]
`)
  const foreign = await new SignJWT({ sub: 'mallory' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://other.example/')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET))
  for (const [name, value] of [
    ['a JWT of another issuer', `Bearer ${foreign}`],
    ['an opaque token', 'Bearer opaque-token-123'],
    ['a Basic header', 'Basic YTpi']
  ] as const) {
    const res = await call(`${gw.url}/articles/1`, { headers: { authorization: value } })
    t.equal(res.status, 401, `${name}: 401 on a public route`)
    t.equal(res.json().code, 'invalid_token')
    t.match(res.headers['www-authenticate'], /^Bearer realm="gatehouse"/)
  }
  t.equal(echo.requests, 0, 'no refused credential reached the upstream')
  t.equal((await call(`${gw.url}/articles/1`)).status, 200, 'no credential at all: anonymous is fine')
})
