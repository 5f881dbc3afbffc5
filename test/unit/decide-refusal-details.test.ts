import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'

const UPGRADE = ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version', '13']

// What explain and the decision API show an operator: the status and code first, then the reason in words.
t.test('each refusal before authentication says what was wrong with the request', async t => {
  const gateway = await createGateway(configOf(`upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /pub/*, methods: [GET], upstream: app, policy: public }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const ask = async (method: string, target: string, headers: string[] = []): Promise<Outcome> =>
    await decide(gateway, decisionRequest({ method, target, rawHeaders: ['Host', 'gw.test', ...headers] }))
  t.match(await ask('GET', '/nowhere/x'), { kind: 'deny', stage: 'route', error: { status: 404, code: 'not_found', detail: 'no route for GET /nowhere/x' } })
  t.match(await ask('DELETE', '/pub/1'), { kind: 'deny', error: { status: 404, detail: 'no route for DELETE /pub/1' } }, 'a method the route does not serve')
  t.match(await ask('GET', '/pub/%zz'), { kind: 'deny', stage: 'route', error: { status: 400, code: 'bad_request', detail: 'the request is malformed' } })
  t.match(await ask('GET', '/pub/1', UPGRADE), {
    kind: 'deny',
    stage: 'guard',
    webSocket: true,
    error: { status: 404, code: 'not_found', detail: '/pub/* does not carry WebSockets' }
  })
  t.match(await ask('GET', '/nowhere/x', UPGRADE), { kind: 'deny', stage: 'route', webSocket: false }, 'no route: no WebSocket was ever on offer')
})
