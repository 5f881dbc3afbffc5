import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('public policy: anonymous passes, a presented key is still checked', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/public/*
    upstream: web
    policy: public
    client: [appKey]
`)
  const url = `${gw.url}/api/public/articles`

  const anonymous = await call(url)
  t.equal(anonymous.status, 200, 'no credential: 200')
  t.notOk(anonymous.json<Echo>().headers['remote-client'], 'anonymous: no Remote-Client')

  const known = await call(url, { headers: { 'x-api-key': KEYS.android } })
  t.equal(known.status, 200, 'valid key: 200')
  t.equal(known.json<Echo>().headers['remote-client'], 'android', 'valid key: the client is named upstream')

  for (const [name, key] of [['unknown key', 'gh_wrong'], ['expired key', KEYS.expired], ['disabled client', KEYS.disabled]] as const) {
    const res = await call(url, { headers: { 'x-api-key': key } })
    t.equal(res.status, 401, `${name}: 401, never silently anonymous`)
    t.equal(res.json().code, 'invalid_credentials')
  }
})
