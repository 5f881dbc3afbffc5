import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { compileRouteDecision } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'

// The listener answers a decision given synchronously in the same tick: no promise per request on the hot path.
t.test('a route decision is given synchronously unless a step waits: a rate-limit count, a signature', async t => {
  const gateway = await createGateway(configOf(`upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /plain/*, upstream: app, policy: public }
  - { match: /limited/*, upstream: app, policy: public, rateLimit: { max: 5, window: 1m, by: ip } }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const decisionOf = (match: string): ReturnType<typeof compileRouteDecision> =>
    compileRouteDecision(gateway, gateway.routes.find(r => r.match === match) as (typeof gateway.routes)[number])
  const request = (target: string): ReturnType<typeof decisionRequest> => decisionRequest({ method: 'GET', target, rawHeaders: ['Host', 'gw.test'] })

  const plain = decisionOf('/plain/*')(request('/plain/1'))
  t.notOk(plain instanceof Promise, 'nothing to wait for')
  t.match(plain, { kind: 'allow' })
  const dry = decisionOf('/limited/*')(request('/limited/1'), { dryRun: true })
  t.notOk(dry instanceof Promise, 'a dry run spends no quota, so it counts nothing and waits for nothing')
  const counted = decisionOf('/limited/*')(request('/limited/1'))
  t.ok(counted instanceof Promise, 'a real request waits for its count')
  t.match(await counted, { kind: 'allow' })
})
