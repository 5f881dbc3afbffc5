import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { keyHash } from '../helpers/gateway.js'
import { USER_AUTH_YAML, userToken as jwtFor } from '../helpers/user-token.js'

const TOKEN = 'ghu_alice-personal-token-00000000000000000000'

t.test('one route, a JWT or a user API token: Bearer goes to the jwt authenticator, Token to userToken', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
${USER_AUTH_YAML}  personal:
    type: userToken
    tokens: [{ hash: "${keyHash(TOKEN)}", user: alice }]
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: web
    policy: user
    user: [idp, personal]
`)
  const jwt = await call(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${await jwtFor('bob')}` } })
  t.equal(jwt.status, 200)
  t.match(jwt.json<Echo>().headers, { 'remote-user': 'bob', 'remote-auth': 'idp' })
  const token = await call(`${gw.url}/api/x`, { headers: { authorization: `Token ${TOKEN}` } })
  t.equal(token.status, 200)
  t.match(token.json<Echo>().headers, { 'remote-user': 'alice', 'remote-auth': 'personal' })
  const none = await call(`${gw.url}/api/x`)
  t.equal(none.status, 401)
  t.same(none.headers['www-authenticate'], ['Bearer realm="gatehouse"', 'Token realm="gatehouse"'], 'both schemes offered')
  const wrong = await call(`${gw.url}/api/x`, { headers: { authorization: `Token ${TOKEN}0` } })
  t.equal(wrong.status, 401)
  t.same(
    wrong.headers['www-authenticate'],
    ['Token realm="gatehouse", error="invalid_token", error_description="unknown or revoked token"', 'Bearer realm="gatehouse"'],
    'the failing scheme first, with its error'
  )
})
