import t from 'tap'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'

const APP = 'https://app.example'

async function gatewayOf (t: { teardown: (fn: () => Promise<void>) => void }): Promise<Gateway> {
  const gateway = await createGateway(configOf(`upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /post/*, methods: [GET, POST], upstream: app, policy: public, cors: { origins: ["${APP}"] } }
  - { match: /bare/*, methods: [GET, POST], upstream: app, policy: public }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  return gateway
}

const preflight = async (gateway: Gateway, target: string, headers: string[]): Promise<Outcome> =>
  await decide(gateway, decisionRequest({ method: 'OPTIONS', target, rawHeaders: ['Host', 'gw.test', 'Origin', APP, ...headers] }))

t.test('a preflight on a CORS route that does not list OPTIONS is answered for the method it asks about, with that route\'s params', async t => {
  const gateway = await gatewayOf(t)
  t.match(await preflight(gateway, '/post/7', ['Access-Control-Request-Method', 'POST']), {
    kind: 'preflight',
    route: { match: '/post/*' },
    params: { '*': '7' },
    answer: { allowed: true }
  })
})

t.test('it is refused as any OPTIONS the routes do not serve when it is not a preflight, asks about another method, or the route has no CORS', async t => {
  const gateway = await gatewayOf(t)
  const notFound = { kind: 'deny', stage: 'route', route: undefined, error: { status: 404, code: 'not_found' } }
  t.match(await preflight(gateway, '/post/7', []), notFound, 'no Access-Control-Request-Method: a plain OPTIONS')
  t.match(await preflight(gateway, '/post/7', ['Access-Control-Request-Method', 'DELETE']), notFound, 'a method the route does not serve')
  t.match(await preflight(gateway, '/bare/7', ['Access-Control-Request-Method', 'POST']), notFound, 'a route with no CORS')
})

t.test('its path is judged first: an ambiguous one is refused, never answered', async t => {
  const gateway = await gatewayOf(t)
  t.match(await preflight(gateway, '/post/a/../7', ['Access-Control-Request-Method', 'POST']), {
    kind: 'deny',
    stage: 'route',
    error: { status: 400, code: 'ambiguous_path' }
  })
})
