import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'

t.test('a declared Content-Length over server.bodyLimit is refused with 413 before authentication; one at the limit passes', async t => {
  const gateway = await createGateway(configOf(`server:
  bodyLimit: 10
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /pub/*, upstream: app, policy: public }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const ask = async (length: string): Promise<unknown> =>
    await decide(gateway, decisionRequest({ method: 'POST', target: '/pub/1', rawHeaders: ['Host', 'gw.test', 'Content-Length', length] }))
  t.match(await ask('3'), { kind: 'allow' })
  t.match(await ask('10'), { kind: 'allow' }, 'at the limit')
  t.match(await ask('11'), {
    kind: 'deny',
    stage: 'guard',
    error: { status: 413, code: 'payload_too_large', detail: 'the request body is larger than 10 bytes' }
  })
})
