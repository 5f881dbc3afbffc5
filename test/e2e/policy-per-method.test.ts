import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('a policy map applies per method (IsAuthenticatedOrReadOnly)', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/articles/*
    upstream: web
    policy: { GET: public, HEAD: public, "*": client }
    client: [appKey]
  - match: /api/only-get-post/*
    methods: [GET, POST]
    upstream: web
    policy: public
`)
  const url = `${gw.url}/api/articles/1`
  t.equal((await call(url)).status, 200, 'GET is public')
  t.equal((await call(url, { method: 'HEAD' })).status, 200, 'HEAD is public')
  const post = await call(url, { method: 'POST', body: '{}' })
  t.equal(post.status, 401, 'POST needs a client')
  t.equal(post.json().code, 'missing_credentials')
  t.equal((await call(url, { method: 'DELETE' })).status, 401, 'DELETE falls to "*"')
  t.equal((await call(url, { method: 'POST', body: '{}', headers: { 'x-api-key': KEYS.android } })).status, 200, 'POST with a key passes')

  t.equal((await call(`${gw.url}/api/only-get-post/x`, { method: 'POST', body: 'a' })).status, 200, 'listed method served')
  const del = await call(`${gw.url}/api/only-get-post/x`, { method: 'DELETE' })
  t.equal(del.status, 404, 'a method the route does not list is not proxied')
  t.equal(del.json().code, 'not_found')
})
