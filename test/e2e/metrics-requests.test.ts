import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { startAuthzGateway } from '../helpers/authz.js'
import { scrape } from '../helpers/metrics.js'

t.test('metrics: requests, latency, auth decisions and rate limits move with real requests', async t => {
  const gw = await startAuthzGateway(t, `  - match: /api/orders/*
    upstream: orders
    policy: client
    client: [appKey]
    user: [staff]
    rateLimit: { max: 2, window: 1m, by: client }
`)
  const admin = gw.adminUrl as string
  const url = `${gw.url}/api/orders/1`
  const route = '/api/orders/*'

  const before = await scrape(admin)
  t.match(before.contentType, /^text\/plain; version=0\.0\.4/, 'Prometheus text format')
  t.equal(before.value('gatehouse_requests_total', { route, method: 'GET', status_class: '2xx' }), undefined, 'no request yet')
  t.equal(before.value('gatehouse_config_reloads_total', { result: 'ok' }), 0)
  t.equal(before.value('gatehouse_config_info', { hash: gw.gateway.config.hash.slice(0, 12) }), 1, 'the config in force, by hash')
  t.equal(before.value('gatehouse_redis_up', { connection: 'cache' }), undefined, 'no Redis configured: no Redis series')

  t.equal((await call(url, { headers: { 'x-api-key': KEYS.android, authorization: basic('alice') } })).status, 200)
  t.equal((await call(url, { headers: { 'x-api-key': 'gh_nobody-has-this-key' } })).status, 401)
  t.equal((await call(url, { headers: { 'x-api-key': KEYS.android } })).status, 200)
  t.equal((await call(url, { headers: { 'x-api-key': KEYS.android } })).status, 429)
  t.equal((await call(`${gw.url}/nowhere`)).status, 404)

  const after = await scrape(admin)
  const v = (name: string, labels: Record<string, string>): number | undefined => after.value(name, labels)
  t.equal(v('gatehouse_requests_total', { route, method: 'GET', status_class: '2xx' }), 2, 'two 200s')
  t.equal(v('gatehouse_requests_total', { route, method: 'GET', status_class: '4xx' }), 2, 'a 401 and a 429')
  t.equal(v('gatehouse_requests_total', { route: '', method: 'GET', status_class: '4xx' }), 1, 'the 404, with no route')
  t.equal(v('gatehouse_rate_limited_total', { route }), 1, 'the 429 is counted')
  t.ok((v('gatehouse_denials_total', { route, code: 'invalid_credentials' }) ?? 0) >= 1, 'the 401 is a denial')
  t.ok((v('gatehouse_auth_decisions_total', { authenticator: 'appKey', result: 'ok' }) ?? 0) >= 3, 'appKey accepted three keys')
  t.ok((v('gatehouse_auth_decisions_total', { authenticator: 'appKey', result: 'invalid_credentials' }) ?? 0) >= 1, 'and refused one')
  t.ok((v('gatehouse_auth_decisions_total', { authenticator: 'staff', result: 'ok' }) ?? 0) >= 1, 'staff accepted alice')

  t.equal(v('gatehouse_request_duration_seconds_count', { route, method: 'GET', status_class: '2xx' }), 2, 'total latency observed per request')
  t.equal(v('gatehouse_gateway_overhead_seconds_count', { route }), 4, 'the gateway\'s own time, for every request of the route')
  t.equal(v('gatehouse_upstream_duration_seconds_count', { upstream: 'orders', status_class: '2xx' }), 2, 'upstream time only for the proxied ones')
  const upstreamSum = v('gatehouse_upstream_duration_seconds_sum', { upstream: 'orders', status_class: '2xx' }) ?? 0
  const totalSum = v('gatehouse_request_duration_seconds_sum', { route, method: 'GET', status_class: '2xx' }) ?? 0
  t.ok(upstreamSum > 0 && upstreamSum < totalSum, `upstream time (${upstreamSum}s) is part of the total (${totalSum}s)`)
  t.ok((v('gatehouse_gateway_overhead_seconds_bucket', { route, le: '+Inf' }) ?? 0) === 4, 'the overhead histogram has buckets')
  t.ok((v('process_cpu_seconds_total', {}) ?? -1) >= 0, 'process metrics too')
})
