import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { startAuthzGateway } from '../helpers/authz.js'
import { startCountingEcho } from '../helpers/upstream.js'

// The limiter runs after authorization: a request the policy refuses must not use up its principal's quota.
t.test('with max 1, a request refused by scope or by the client allow-list leaves the quota for a permitted one', async t => {
  const upstream = await startCountingEcho(t)
  const gw = await startAuthzGateway(t, `  - match: /scoped/*
    upstream: orders
    policy: client
    client: [appKey]
    user: [staff]
    scopes: [orders:write]
    rateLimit: { max: 1, window: 1h, by: client }
  - match: /listed/*
    upstream: orders
    policy: client
    client: [appKey]
    clients: [android]
    rateLimit: { max: 1, window: 1h, by: ip }
`, { upstream: upstream.url })

  const noScope = await call(`${gw.url}/scoped/1`, { headers: { 'x-api-key': KEYS.android } })
  t.equal(noScope.status, 403, 'android alone lacks orders:write')
  t.equal(noScope.json().code, 'insufficient_scope')
  t.equal(upstream.requests, 0, 'the refusal was not forwarded')
  const withUser = await call(`${gw.url}/scoped/1`, { headers: { 'x-api-key': KEYS.android, authorization: basic('alice') } })
  t.equal(withUser.status, 200, 'android with alice (orders:write) is permitted: the refusal spent nothing')
  t.equal(upstream.requests, 1)
  const over = await call(`${gw.url}/scoped/1`, { headers: { 'x-api-key': KEYS.android, authorization: basic('alice') } })
  t.equal(over.status, 429, 'the permitted request did spend the one allowed')
  t.equal(upstream.requests, 1)

  const notListed = await call(`${gw.url}/listed/1`, { headers: { 'x-api-key': KEYS.ios } })
  t.equal(notListed.status, 403, 'ios is not on the allow-list')
  t.equal(notListed.json().code, 'forbidden')
  t.equal(upstream.requests, 1, 'the refusal was not forwarded')
  const listed = await call(`${gw.url}/listed/1`, { headers: { 'x-api-key': KEYS.android } })
  t.equal(listed.status, 200, 'android from the same address is permitted: the refusal spent nothing')
  t.equal(upstream.requests, 2)
})
