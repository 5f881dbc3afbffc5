import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('without Redis, the rate limiter\'s counters are bounded by cache.local.maxSize: the least recent caller is forgotten first', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}  trustProxy: true
cache: { local: { maxSize: 64KiB } }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: orders
    policy: public
    rateLimit: { max: 1, window: 1h, by: ip }
`)
  const from = async (ip: string): Promise<number> => (await call(`${gw.url}/api/x`, { headers: { 'x-forwarded-for': ip } })).status

  t.equal(await from('192.0.2.1'), 200, 'the first call of a caller')
  t.equal(await from('192.0.2.1'), 429, 'its second is over the limit')
  // A counter costs a couple of hundred bytes: 1,000 more callers are several times 64 KiB.
  for (let i = 0; i < 1000; i++) {
    const status = await from(`198.51.${Math.floor(i / 250)}.${i % 250}`)
    if (status !== 200) t.fail(`caller ${i}: ${status}`)
  }
  t.equal(await from('198.51.3.249'), 429, 'a recent caller is still counted')
  t.equal(await from('192.0.2.1'), 200, 'the least recent was forgotten (maxEntries alone would have kept it): its count starts again')
})
