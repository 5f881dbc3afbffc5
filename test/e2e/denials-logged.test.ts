import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { startAuthzGateway } from '../helpers/authz.js'

t.test('every denial is logged with the route, the principal ids and the reason, and counted', async t => {
  const gw = await startAuthzGateway(t, `  - match: /api/orders/*
    upstream: orders
    policy: client+user
    client: [appKey]
    user: [staff]
    scopes: [orders:write]
    bindUserToClient: true
    rateLimit: { max: 1, window: 1m, by: user }
`)
  const url = `${gw.url}/api/orders/1`
  const before = (code: string): number => gw.gateway.counters.denials.get({ route: '/api/orders/*', code })
  const counts = {
    scope: before('insufficient_scope'),
    mismatch: before('client_mismatch'),
    limited: before('rate_limited'),
    missing: before('missing_credentials')
  }

  t.equal((await call(url, { headers: { 'x-api-key': KEYS.ios, authorization: basic('bob') } })).status, 403, 'bob lacks orders:write')
  t.equal((await call(url, { headers: { 'x-api-key': KEYS.ios, authorization: basic('alice') } })).status, 403, 'alice through ios')
  t.equal((await call(url, { headers: { 'x-api-key': KEYS.android, authorization: basic('alice') } })).status, 200)
  t.equal((await call(url, { headers: { 'x-api-key': KEYS.android, authorization: basic('alice') } })).status, 429)
  t.equal((await call(url, { headers: { 'x-api-key': KEYS.android } })).status, 401)

  const lines = gw.logs.filter(l => l.msg === 'request').map(l => [l.route, l.client, l.user, l.decision, l.reason])
  t.same(lines, [
    ['/api/orders/*', 'ios', 'bob', 'deny', 'insufficient_scope: the user lacks scope orders:write'],
    [
      '/api/orders/*',
      'ios',
      'alice',
      'deny',
      'client_mismatch: the user token was issued to "android-id", which is not one of client "ios"\'s userTokenClients'
    ],
    ['/api/orders/*', 'android', 'alice', 'allow', undefined],
    ['/api/orders/*', 'android', 'alice', 'deny', 'rate_limited: rate limit reached (1 per window); retry in 60s'],
    ['/api/orders/*', undefined, undefined, 'deny', 'missing_credentials: a user credential is required']
  ])
  t.equal(before('insufficient_scope'), counts.scope + 1)
  t.equal(before('client_mismatch'), counts.mismatch + 1)
  t.equal(before('rate_limited'), counts.limited + 1)
  t.equal(before('missing_credentials'), counts.missing + 1)
})
