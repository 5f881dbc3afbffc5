import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'

const APP = 'https://app.example'

t.test('with cors: a preflight on a route is answered by the gateway, and every other answer carries the CORS headers', async t => {
  const gateway = await createGateway(configOf(`server:
  cors: { origins: ["${APP}"], headers: [Authorization] }
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /options/*, methods: [GET, OPTIONS], upstream: app, policy: public }
  - { match: /post/*, methods: [GET, POST], upstream: app, policy: public }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const ask = async (method: string, headers: string[]): Promise<Outcome> =>
    await decide(gateway, decisionRequest({ method, target: '/options/1', rawHeaders: ['Host', 'gw.test', 'Origin', APP, ...headers] }))
  t.match(await ask('OPTIONS', ['Access-Control-Request-Method', 'GET']), { kind: 'preflight' }, 'a preflight, though the route lists OPTIONS')
  const other = await decide(gateway, decisionRequest({
    method: 'OPTIONS', target: '/post/1', rawHeaders: ['Host', 'gw.test', 'Origin', APP, 'Access-Control-Request-Method', 'POST']
  }))
  t.match(other, { kind: 'preflight', route: { match: '/post/*' } }, 'on a route that does not list OPTIONS: answered for the method asked about')
  const get = await ask('GET', [])
  t.match(get, { kind: 'allow' })
  const headers = get.kind === 'allow' ? get.responseHeaders : []
  t.ok(headers.every(h => h.length === 2 && h.every(v => typeof v === 'string')), 'name and value pairs')
  t.ok(headers.some(([name, value]) => name.toLowerCase() === 'access-control-allow-origin' && value === APP), 'the origin allowed')
})
