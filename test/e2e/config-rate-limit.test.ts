import t from 'tap'
import { ConfigError, parseConfig } from '../../src/config/load.js'

const config = (rateLimit: string): string => `upstreams:
  orders: { url: "http://127.0.0.1:1" }
authenticators:
  appKey: { type: apiKey }
routes:
  - match: /api/*
    upstream: orders
    policy: client
    client: [appKey]
    rateLimit: ${rateLimit}
`

t.test('route rateLimit: by defaults from the policy, onRedisError defaults to open, bad values are positioned', async t => {
  t.same(parseConfig(config('{ max: 5, window: 30s }'), 'g.yaml').routes[0].rateLimit, { max: 5, windowMs: 30_000, by: 'client', onRedisError: 'open' })
  t.same(parseConfig(config('{ max: 5, window: 1m, by: ip, onRedisError: closed }'), 'g.yaml').routes[0].rateLimit, {
    max: 5,
    windowMs: 60_000,
    by: 'ip',
    onRedisError: 'closed'
  })
  const err = t.throws(() => parseConfig(config('{ max: 5, window: 1m, onRedisError: fail }'), 'g.yaml')) as ConfigError
  t.ok(err instanceof ConfigError)
  t.match(err.message, /^g\.yaml:10:\d+ routes\[0\]\.rateLimit\.onRedisError: must be open \(let requests through\) or closed \(answer 503\)$/)
})
