import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('a credential any authenticator reads is removed on every route, even one with no authenticators', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key, query: api_key }
  appToken: { type: clientToken, header: X-Client-Token, bearer: true }
upstreams:
  web: { url: "${upstream}" }
  partner: { url: "${upstream}" }
routes:
  - match: /private/*
    upstream: web
    policy: client
    client: [appKey, appToken]
  - match: /open/*
    upstream: partner
    policy: public
  - match: /own-auth/*
    upstream: partner
    policy: public
    forwardCredentials: true
`)
  // A client that sends its key everywhere must not hand it to an upstream that never asked for it.
  const open = (await call(`${gw.url}/open/a?x=1&api_key=${KEYS.android}&y=2`, {
    headers: { 'x-api-key': KEYS.android, 'x-client-token': 'tok', authorization: 'Bearer tok', cookie: 'session=s1' }
  })).json<Echo>()
  t.notOk(open.headers['x-api-key'], 'X-API-Key removed on a public route with no authenticators')
  t.notOk(open.headers['x-client-token'], 'X-Client-Token removed')
  t.notOk(open.headers.authorization, 'Authorization removed (the clientToken authenticator reads Bearer)')
  t.equal(open.url, '/open/a?x=1&y=2', 'the api_key parameter is removed from the query')
  t.equal(open.headers.cookie, 'session=s1', 'a header no authenticator reads passes')

  const own = (await call(`${gw.url}/own-auth/a?api_key=k`, { headers: { 'x-api-key': 'k', authorization: 'Bearer upstream-token' } })).json<Echo>()
  t.equal(own.headers.authorization, 'Bearer upstream-token', 'forwardCredentials: true keeps them for an upstream that checks its own')
  t.equal(own.headers['x-api-key'], 'k')
  t.equal(own.url, '/own-auth/a?api_key=k')
})
