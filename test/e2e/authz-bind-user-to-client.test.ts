import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { startAuthzGateway } from '../helpers/authz.js'
import { startCountingEcho, type Echo } from '../helpers/upstream.js'

t.test('bindUserToClient: the user token must have been issued to one of the calling client\'s userTokenClients', async t => {
  const upstream = await startCountingEcho(t)
  const gw = await startAuthzGateway(t, `  - match: /api/*
    upstream: orders
    policy: client+user
    client: [appKey]
    user: [staff]
    bindUserToClient: true
  - match: /unbound/*
    upstream: orders
    policy: client+user
    client: [appKey]
    user: [staff]
`, { upstream: upstream.url })
  const url = `${gw.url}/api/orders`

  const azp = await call(url, { headers: { 'x-api-key': KEYS.android, authorization: basic('alice') } })
  t.equal(azp.status, 200, 'alice\'s azp android-id is one of android\'s userTokenClients')
  t.equal(azp.json<Echo>().headers['remote-client'], 'android')
  const clientId = await call(url, { headers: { 'x-api-key': KEYS.ios, authorization: basic('bob') } })
  t.equal(clientId.status, 200, 'bob\'s client_id ios-id is one of ios\'s userTokenClients')

  const reached = upstream.requests
  const mismatch = await call(url, { headers: { 'x-api-key': KEYS.ios, authorization: basic('alice') } })
  t.equal(mismatch.status, 403, 'alice\'s token (android-id) presented by the ios app')
  t.equal(mismatch.json().code, 'client_mismatch')
  t.equal(mismatch.json().detail, 'the user token was issued to "android-id", which is not one of client "ios"\'s userTokenClients')

  const unnamed = await call(url, { headers: { 'x-api-key': KEYS.android, authorization: basic('carol') } })
  t.equal(unnamed.status, 403, 'a token naming no client (no azp, no client_id) fails closed')
  t.equal(unnamed.json().code, 'client_mismatch')
  t.equal(unnamed.json().detail, 'the user token names no client (azp or client_id), so it cannot be bound to the calling client')
  t.equal(upstream.requests, reached, 'neither refusal reached the upstream')

  t.equal((await call(`${gw.url}/unbound/1`, { headers: { 'x-api-key': KEYS.ios, authorization: basic('alice') } })).status, 200,
    'without bindUserToClient the same pair passes')
})
