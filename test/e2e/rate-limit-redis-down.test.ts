import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { startRedis } from '../helpers/redis.js'
import { startAuthzGateway } from '../helpers/authz.js'
import { until } from '../helpers/until.js'

const route = (path: string, onRedisError: string): string => `  - match: ${path}
    upstream: orders
    policy: client
    client: [appKey]
    rateLimit: { max: 100, window: 1m, by: client${onRedisError === '' ? '' : `, onRedisError: ${onRedisError}`} }
`

t.test('Redis down: open routes let requests through (logged, counted), closed routes answer 503', async t => {
  const redis = await startRedis(t)
  const gw = await startAuthzGateway(t, route('/open/*', '') + route('/closed/*', 'closed'), { head: `cache:\n  redis: ${redis.url}\n` })
  const get = async (path: string): Promise<Awaited<ReturnType<typeof call>>> => await call(`${gw.url}${path}`, { headers: { 'x-api-key': KEYS.android } })

  t.equal((await get('/open/1')).headers['ratelimit-remaining'], '99', 'counted in Redis while it is up')
  t.equal((await get('/closed/1')).status, 200)
  t.match((await call(`${gw.adminUrl ?? ''}/readyz`)).json(), { status: 'ok', checks: { rateLimitStore: 'ok' } })

  await redis.kill()
  const open = await get('/open/1')
  t.equal(open.status, 200, 'open (the default): allowed')
  t.equal(open.headers['ratelimit-remaining'], undefined, 'nothing counted, nothing claimed')
  const closed = await get('/closed/1')
  t.equal(closed.status, 503, 'closed: refused')
  t.equal(closed.json().code, 'auth_unavailable')
  t.equal(closed.json().detail, 'the rate-limit store is unreachable')
  t.equal(closed.headers['retry-after'], '5')
  t.equal(gw.gateway.counters.rateLimitStoreErrors.get({ route: '/open/*', outcome: 'allowed' }), 1, 'the open pass is counted')
  t.equal(gw.gateway.counters.rateLimitStoreErrors.get({ route: '/closed/*', outcome: 'refused' }), 1, 'the closed refusal is counted')
  const warns = gw.logs.filter(l => l.msg === 'rate-limit store unavailable')
  t.same(warns.map(l => [l.level, l.route, l.outcome]), [[40, '/open/*', 'allowed'], [40, '/closed/*', 'refused']], 'each is logged as a warning')
  const ready = await call(`${gw.adminUrl ?? ''}/readyz`)
  t.equal(ready.status, 200, 'the gateway still serves: ready, degraded')
  t.equal(ready.json().status, 'degraded')

  await redis.start()
  let status = 0
  await until('the closed route serving again', async () => (status = (await get('/closed/1')).status) === 200).catch(() => {})
  t.equal(status, 200, 'once Redis is back, closed routes serve again')
  t.equal((await get('/open/1')).headers['ratelimit-remaining'], '99', 'and counting starts over in the new Redis')
})
