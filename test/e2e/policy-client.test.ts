import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('client policy: the calling app must be identified; a user is optional', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/orders/*
    upstream: orders
    policy: client
    client: [appKey]
`)
  const url = `${gw.url}/api/orders/7`

  const none = await call(url)
  t.equal(none.status, 401, 'no credential: 401')
  t.equal(none.json().code, 'missing_credentials')
  t.equal(none.headers['www-authenticate'], 'ApiKey realm="gatehouse", header="X-API-Key"')

  const ok = await call(url, { headers: { 'x-api-key': KEYS.android } })
  t.equal(ok.status, 200, 'valid key: 200')
  t.equal(ok.json<Echo>().headers['remote-client'], 'android')
  t.equal(ok.json<Echo>().headers['remote-auth'], 'appKey')

  for (const [name, key, detail] of [
    ['unknown key', 'gh_nobody-has-this-key', 'unknown API key'],
    ['expired key', KEYS.expired, 'API key has expired'],
    ['disabled client', KEYS.disabled, 'client is disabled']
  ] as const) {
    const res = await call(url, { headers: { 'x-api-key': key } })
    t.equal(res.status, 401, `${name}: 401`)
    t.equal(res.json().code, 'invalid_credentials', `${name}: invalid_credentials`)
    t.equal(res.json().detail, detail)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(res.headers['cache-control'], 'no-store')
  }
  t.notMatch(gw.logText(), KEYS.android, 'the key never reaches a log')
})
