import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('credentials the gateway consumed are removed unless forwardCredentials is set', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key, query: api_key }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /private/*
    upstream: web
    policy: client
    client: [appKey]
  - match: /passthrough/*
    upstream: web
    policy: client
    client: [appKey]
    forwardCredentials: true
`)
  const viaHeader = (await call(`${gw.url}/private/a?x=1`, { headers: { 'x-api-key': KEYS.android, cookie: 'session=s1' } })).json<Echo>()
  t.notOk(viaHeader.headers['x-api-key'], 'API key header removed')
  t.equal(viaHeader.headers.cookie, 'session=s1', 'headers the gateway did not consume pass through')
  t.equal(viaHeader.url, '/private/a?x=1', 'query string kept')

  const viaQuery = (await call(`${gw.url}/private/a?x=1&api_key=${KEYS.android}&y=2`)).json<Echo>()
  t.equal(viaQuery.headers['remote-client'], 'android', 'a key in the query authenticates when opted in')
  t.equal(viaQuery.url, '/private/a?x=1&y=2', 'the api_key parameter is removed from the query')

  const kept = (await call(`${gw.url}/passthrough/a`, { headers: { 'x-api-key': KEYS.android } })).json<Echo>()
  t.equal(kept.headers['x-api-key'], KEYS.android, 'forwardCredentials: true keeps the key')
  t.equal(kept.headers['remote-client'], 'android')
  t.notMatch(gw.logText(), KEYS.android, 'the key never reaches a log')
})
