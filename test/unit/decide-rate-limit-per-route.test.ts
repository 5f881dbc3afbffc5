import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'

t.test('each route counts in its own bucket: a caller at its limit on one route is still let through on another', async t => {
  const gateway = await createGateway(configOf(`upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /a/*, upstream: app, policy: public, rateLimit: { max: 1, window: 1m, by: ip } }
  - { match: /b/*, upstream: app, policy: public, rateLimit: { max: 1, window: 1m, by: ip } }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const ask = async (target: string): Promise<unknown> =>
    await decide(gateway, decisionRequest({ method: 'GET', target, rawHeaders: ['Host', 'gw.test'] }), { dryRun: false })
  t.match(await ask('/a/1'), { kind: 'allow' })
  t.match(await ask('/a/2'), { kind: 'deny', stage: 'rate-limit', error: { status: 429, code: 'rate_limited' } }, 'the second on /a/* is over')
  t.match(await ask('/b/1'), { kind: 'allow' }, '/b/* has its own count')
})
