import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'

t.test('with server.publicOrigins, a request naming a listed origin is decided; one naming another host is 421 before anything else', async t => {
  const gateway = await createGateway(configOf(`server:
  publicOrigins: [https://api.example.com]
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /pub/*, upstream: app, policy: public }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const ask = async (host: string): Promise<unknown> =>
    await decide(gateway, decisionRequest({ method: 'GET', target: '/pub/1', rawHeaders: ['Host', host], tls: { encrypted: true, authorized: false } }))
  t.match(await ask('api.example.com'), { kind: 'allow', path: '/pub/1' })
  t.match(await ask('evil.example'), {
    kind: 'deny',
    error: { status: 421, code: 'misdirected_request', detail: 'this gateway does not serve the host this request names (server.publicOrigins)' }
  })
})
