import t from 'tap'
import { spawnSync } from 'node:child_process'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { startRedis } from '../helpers/redis.js'
import { startAuthzGateway } from '../helpers/authz.js'

const ROUTE = `  - match: /api/*
    upstream: orders
    policy: client
    client: [appKey]
    rateLimit: { max: 3, window: 1m, by: client }
`

t.test('two instances on one Redis enforce one combined limit', async t => {
  const redis = await startRedis(t)
  const cache = `cache:\n  redis: ${redis.url}\n`
  const a = await startAuthzGateway(t, ROUTE, { head: cache })
  const b = await startAuthzGateway(t, ROUTE, { head: cache })
  const statuses: number[] = []
  for (const gw of [a, b, a, b, a]) statuses.push((await call(`${gw.url}/api/1`, { headers: { 'x-api-key': KEYS.android } })).status)
  t.same(statuses, [200, 200, 200, 429, 429], 'three calls in all, whichever instance answers')

  const burst = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
    (await call(`${(i % 2 === 0 ? a : b).url}/api/1`, { headers: { 'x-api-key': KEYS.ios } })).status))
  t.equal(burst.filter(s => s === 200).length, 3, 'a concurrent burst over both instances lets exactly 3 through (atomic counting)')

  const keys = spawnSync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', 'gatehouse:v1:ratelimit:*'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .sort()
  t.same(keys, ['gatehouse:v1:ratelimit:/api/*|client:android', 'gatehouse:v1:ratelimit:/api/*|client:ios'],
    'the counters live in Redis, one per route and client')
})

t.test('without Redis each instance counts on its own', async t => {
  const a = await startAuthzGateway(t, ROUTE)
  const b = await startAuthzGateway(t, ROUTE)
  const statuses: number[] = []
  for (const gw of [a, b, a, b, a, b, a]) statuses.push((await call(`${gw.url}/api/1`, { headers: { 'x-api-key': KEYS.android } })).status)
  t.same(statuses, [200, 200, 200, 200, 200, 200, 429], 'three per instance')
})
