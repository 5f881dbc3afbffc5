import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { USER_AUTH_YAML, userToken } from '../helpers/user-token.js'
import { call } from '../helpers/http.js'

t.test('user policy: a user is required, the client is optional but checked when present', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey }
${USER_AUTH_YAML}
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /me/*
    upstream: web
    policy: user
    client: [appKey]
    user: [idp]
`)
  const url = `${gw.url}/me/profile`
  const bearer = `Bearer ${await userToken('alice')}`

  const none = await call(url)
  t.equal(none.status, 401, 'no credential: 401')
  t.equal(none.json().code, 'missing_credentials')
  t.equal(none.headers['www-authenticate'], 'Bearer realm="gatehouse"', 'the user schemes are offered')

  const keyOnly = await call(url, { headers: { 'x-api-key': KEYS.android } })
  t.equal(keyOnly.status, 401, 'valid key, no user: 401')
  t.equal(keyOnly.json().detail, 'a user credential is required')

  const userOnly = await call(url, { headers: { authorization: bearer } })
  t.equal(userOnly.status, 200, 'user without a client: 200')
  t.equal(userOnly.json<Echo>().headers['remote-user'], 'alice')
  t.notOk(userOnly.json<Echo>().headers['remote-client'])

  const both = await call(url, { headers: { authorization: bearer, 'x-api-key': KEYS.android } })
  t.equal(both.status, 200, 'user with a valid key: 200')
  t.equal(both.json<Echo>().headers['remote-client'], 'android')

  for (const [name, key] of [['unknown key', 'gh_nope'], ['expired key', KEYS.expired], ['disabled client', KEYS.disabled]] as const) {
    const res = await call(url, { headers: { authorization: bearer, 'x-api-key': key } })
    t.equal(res.status, 401, `valid user + ${name}: 401`)
    t.equal(res.json().code, 'invalid_credentials')
  }
})
