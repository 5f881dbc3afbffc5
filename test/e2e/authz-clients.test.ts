import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { startAuthzGateway } from '../helpers/authz.js'
import { startCountingEcho } from '../helpers/upstream.js'

t.test('clients: only the listed client ids may use the route', async t => {
  const upstream = await startCountingEcho(t)
  const gw = await startAuthzGateway(t, `  - match: /android-only/*
    upstream: orders
    policy: client
    client: [appKey]
    clients: [android]
  - match: /mobile/*
    upstream: orders
    policy: user
    client: [appKey]
    user: [staff]
    clients: [android, ios]
`, { upstream: upstream.url })
  t.equal((await call(`${gw.url}/android-only/1`, { headers: { 'x-api-key': KEYS.android } })).status, 200, 'android is listed')
  const reached = upstream.requests
  const ios = await call(`${gw.url}/android-only/1`, { headers: { 'x-api-key': KEYS.ios } })
  t.equal(ios.status, 403, 'ios is not listed')
  t.equal(ios.json().code, 'forbidden')
  t.equal(ios.json().detail, 'client "ios" may not use this route')
  t.equal(upstream.requests, reached, 'the refused client did not reach the upstream')

  t.equal((await call(`${gw.url}/mobile/1`, { headers: { 'x-api-key': KEYS.ios, authorization: basic('bob') } })).status, 200, 'ios with a user')
  const beforeNoClient = upstream.requests
  const noClient = await call(`${gw.url}/mobile/1`, { headers: { authorization: basic('bob') } })
  t.equal(noClient.status, 401, 'a client is optional by policy, but the allow-list needs one')
  t.equal(noClient.json().code, 'missing_credentials')
  t.equal(noClient.headers['www-authenticate'], 'ApiKey realm="gatehouse", header="X-API-Key"')
  t.equal(upstream.requests, beforeNoClient, 'nor did the call without a client')
})
