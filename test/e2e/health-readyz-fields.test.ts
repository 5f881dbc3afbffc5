import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { startRedis } from '../helpers/redis.js'

const UPSTREAM = 'upstreams:\n  web: { url: "http://127.0.0.1:9" }\n'
const PLAIN = '  - { match: /a/*, upstream: web, policy: public }\n'
const LIMITED = '  - { match: /b/*, upstream: web, policy: public, rateLimit: { max: 10, window: 1m } }\n'

t.test('/readyz reports the same fields whatever routes and cache the config has', async t => {
  const redis = await startRedis(t)
  const configs: Array<[string, string, string]> = [
    ['no rate limit, no Redis', `${TEST_SERVER}${UPSTREAM}routes:\n${PLAIN}`, 'none'],
    ['a rate limit, no Redis', `${TEST_SERVER}${UPSTREAM}routes:\n${PLAIN}${LIMITED}`, 'local'],
    ['no rate limit, Redis', `${TEST_SERVER}cache:\n  redis: ${redis.url}\n${UPSTREAM}routes:\n${PLAIN}`, 'none'],
    ['a rate limit, Redis', `${TEST_SERVER}cache:\n  redis: ${redis.url}\n${UPSTREAM}routes:\n${PLAIN}${LIMITED}`, 'ok']
  ]
  for (const [name, yaml, store] of configs) {
    const gw = await startTestGateway(t, yaml)
    const readyz = await call(`${gw.adminUrl ?? ''}/readyz`)
    t.equal(readyz.status, 200, name)
    const body = readyz.json<{ status: string, checks: Record<string, string> }>()
    t.same(Object.keys(body).sort(), ['checks', 'status'], `${name}: the same top-level fields`)
    t.same(Object.keys(body.checks).sort(), ['config', 'rateLimitStore', 'redis', 'upstreams'], `${name}: the same checks`)
    t.equal(body.checks.rateLimitStore, store, `${name}: rateLimitStore ${store}`)
    await gw.close()
  }
})
