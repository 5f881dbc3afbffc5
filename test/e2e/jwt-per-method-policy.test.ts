import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { AUDIENCE, ISSUER, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('IsAuthenticatedOrReadOnly: { GET: public, "*": user } with a jwt authenticator', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const gw = await startTestGateway(t, `${TEST_SERVER}
authenticators:
  idp: { type: jwt, issuer: "${ISSUER}", audience: ${AUDIENCE}, jwksUri: "${jwks.url}" }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/articles/*
    upstream: orders
    policy: { GET: public, "*": user }
    user: [idp]
`)
  const url = `${gw.url}/api/articles/1`
  const token = await sign(key)

  const anonymousRead = await call(url)
  t.equal(anonymousRead.status, 200, 'GET without a token: 200, anonymous')
  t.equal(anonymousRead.json<Echo>().headers['remote-user'], undefined)
  const userRead = await call(url, { headers: { authorization: `Bearer ${token}` } })
  t.equal(userRead.status, 200)
  t.equal(userRead.json<Echo>().headers['remote-user'], 'alice', 'GET with a token: the user is identified')
  const badRead = await call(url, { headers: { authorization: `Bearer ${await sign(key, { exp: Math.floor(Date.now() / 1000) - 60 })}` } })
  t.equal(badRead.status, 401, 'GET with an expired token: 401, never silently anonymous')
  t.equal(badRead.json().detail, 'token expired')

  const anonymousWrite = await call(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  t.equal(anonymousWrite.status, 401, 'POST without a token: 401')
  t.equal(anonymousWrite.json().code, 'missing_credentials')
  t.equal(anonymousWrite.headers['www-authenticate'], 'Bearer realm="gatehouse"', 'the Bearer challenge')
  const userWrite = await call(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } })
  t.equal(userWrite.status, 200, 'POST with a token: 200')
  t.equal(userWrite.json<Echo>().method, 'POST')
})
