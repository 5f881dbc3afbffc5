import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { startAuthzGateway } from '../helpers/authz.js'
import { startCountingEcho } from '../helpers/upstream.js'

const CHALLENGE = 'Bearer realm="gatehouse", error="insufficient_scope", scope="orders:read orders:write"'

t.test('scopes: every listed scope must be held by the user, or by the client when no user is present', async t => {
  const upstream = await startCountingEcho(t)
  const gw = await startAuthzGateway(t, `  - match: /user/*
    upstream: orders
    policy: user
    user: [staff]
    scopes: [orders:read, orders:write]
  - match: /client/*
    upstream: orders
    policy: client
    client: [appKey]
    user: [staff]
    scopes: [orders:read]
`, { upstream: upstream.url })
  const all = await call(`${gw.url}/user/1`, { headers: { authorization: basic('alice') } })
  t.equal(all.status, 200, 'alice holds orders:read and orders:write')

  const reached = upstream.requests
  const partial = await call(`${gw.url}/user/1`, { headers: { authorization: basic('bob') } })
  t.equal(partial.status, 403, 'bob holds only orders:read')
  t.equal(partial.json().code, 'insufficient_scope')
  t.equal(partial.json().detail, 'the user lacks scope orders:write')
  t.equal(partial.headers['www-authenticate'], CHALLENGE, 'the challenge names every required scope')

  const none = await call(`${gw.url}/user/1`, { headers: { authorization: basic('carol') } })
  t.equal(none.status, 403, 'carol holds no scope')
  t.equal(none.json().code, 'insufficient_scope')
  t.equal(none.json().detail, 'the user lacks scope orders:read orders:write')
  t.equal(upstream.requests, reached, 'no refused user reached the upstream')

  const clientOk = await call(`${gw.url}/client/1`, { headers: { 'x-api-key': KEYS.android } })
  t.equal(clientOk.status, 200, 'no user: the android client holds orders:read')
  const beforeClientNo = upstream.requests
  const clientNo = await call(`${gw.url}/client/1`, { headers: { 'x-api-key': KEYS.ios } })
  t.equal(clientNo.status, 403, 'no user: the ios client holds no scope')
  t.equal(clientNo.json().code, 'insufficient_scope')
  t.equal(clientNo.headers['www-authenticate'], 'Bearer realm="gatehouse", error="insufficient_scope", scope="orders:read"')

  const userDecides = await call(`${gw.url}/client/1`, { headers: { 'x-api-key': KEYS.android, authorization: basic('carol') } })
  t.equal(userDecides.status, 403, 'with a user present, the user\'s scopes decide, not the client\'s')
  t.equal(userDecides.json().code, 'insufficient_scope')
  t.equal(upstream.requests, beforeClientNo, 'no refused client or user reached the upstream')
})
