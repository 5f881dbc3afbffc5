import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { decide } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import type { LimitStore } from '../../src/rate-limit/rate-limit.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { capturedLogger } from '../helpers/log-lines.js'

t.test('a rate-limit store that cannot be reached: onRedisError open lets the request through, closed refuses it with 503', async t => {
  const { logger, lines } = capturedLogger()
  const gateway = await createGateway(configOf(`upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /open/*, upstream: app, policy: public, rateLimit: { max: 5, window: 1m, by: ip, onRedisError: open } }
  - { match: /closed/*, upstream: app, policy: public, rateLimit: { max: 5, window: 1m, by: ip, onRedisError: closed } }
`), logger, { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  // As Redis refusing connections: every count fails.
  gateway.limits = { incr: async () => { throw new Error('connect ECONNREFUSED') } } as unknown as LimitStore
  const ask = async (target: string): Promise<unknown> =>
    await decide(gateway, decisionRequest({ method: 'GET', target, rawHeaders: ['Host', 'gw.test'] }), { dryRun: false, requestId: 'req-7' })
  t.match(await ask('/open/1'), { kind: 'allow', path: '/open/1' })
  t.match(await ask('/closed/1'), { kind: 'deny', stage: 'rate-limit', error: { status: 503, code: 'auth_unavailable' } })
  const warned = lines.filter(l => l.msg === 'rate-limit store unavailable')
  t.match(warned, [{ reqId: 'req-7', route: '/open/*', outcome: 'allowed' }, { reqId: 'req-7', route: '/closed/*', outcome: 'refused' }],
    'logged with the request id, to find the request in the access log')
})
