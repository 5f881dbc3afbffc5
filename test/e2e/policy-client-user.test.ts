import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { USER_AUTH_YAML, userToken } from '../helpers/user-token.js'
import { call } from '../helpers/http.js'

t.test('client+user policy: this app AND this user, as one policy', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey }
${USER_AUTH_YAML}
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/orders/*
    upstream: web
    policy: client+user
    client: [appKey]
    user: [idp]
`)
  const url = `${gw.url}/api/orders/9`
  const bearer = `Bearer ${await userToken('alice')}`

  const none = await call(url)
  t.equal(none.status, 401, 'nothing: 401')
  t.equal(none.json().detail, 'client and user credentials are required')
  t.same(none.headers['www-authenticate'], ['ApiKey realm="gatehouse", header="X-API-Key"', 'Bearer realm="gatehouse"'], 'one challenge per accepted scheme')

  const keyOnly = await call(url, { headers: { 'x-api-key': KEYS.android } })
  t.equal(keyOnly.status, 401, 'valid key only: 401')
  t.equal(keyOnly.json().detail, 'a user credential is required')

  const userOnly = await call(url, { headers: { authorization: bearer } })
  t.equal(userOnly.status, 401, 'user only: 401')
  t.equal(userOnly.json().detail, 'a client credential is required')

  const both = await call(url, { headers: { authorization: bearer, 'x-api-key': KEYS.android } })
  t.equal(both.status, 200, 'valid key and user: 200')
  const seen = both.json<Echo>().headers
  t.equal(seen['remote-user'], 'alice')
  t.equal(seen['remote-client'], 'android')
  t.equal(seen['remote-auth'], 'appKey,idp')
  t.equal(seen['remote-scopes'], 'orders:read', 'the user token\'s scopes')
  t.notOk(seen.authorization, 'the verified Authorization is not forwarded')
  t.notOk(seen['x-api-key'], 'nor the key')

  for (const [name, key] of [['unknown key', 'gh_nope'], ['expired key', KEYS.expired], ['disabled client', KEYS.disabled]] as const) {
    const res = await call(url, { headers: { authorization: bearer, 'x-api-key': key } })
    t.equal(res.status, 401, `${name} + valid user: 401`)
    t.equal(res.json().code, 'invalid_credentials')
  }
  const badUser = await call(url, { headers: { authorization: 'Bearer not.a.jwt', 'x-api-key': KEYS.android } })
  t.equal(badUser.status, 401, 'valid key + malformed user token: 401')
  t.equal(badUser.json().code, 'invalid_token')
})
