import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { explainRequest, type Explanation } from '../../src/explain/explain.js'

const ROUTES = `upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /api/orders/*, upstream: web, policy: public, methods: [GET] }
  - { match: /api/Items/:id, upstream: web, policy: public }
  - { match: /api/users/, upstream: web, policy: public }
  - { match: /api/orders/*, upstream: web, policy: public, methods: [POST] }
  - { match: /api/orders/:id/notes, upstream: web, policy: public }
`

function near (e: Explanation): Array<[number, string]> {
  return e.nearMatches.map(n => [n.route, n.kind])
}

t.test('a request no route takes names the routes it nearly matched, and why', async t => {
  const gw = await startTestGateway(
    t,
    `${TEST_SERVER.replace('admin: 127.0.0.1:0\n', 'admin: 127.0.0.1:0\n  routing: { caseSensitive: true, ignoreTrailingSlash: false }\n')}${ROUTES}`
  )
  const explain = async (method: string, url: string): Promise<Explanation> => await explainRequest(gw.gateway, { method, url, headers: {}, ip: '127.0.0.1' })

  const byMethod = await explain('DELETE', '/api/orders/1')
  t.equal(byMethod.route, undefined)
  t.same(near(byMethod), [[0, 'method'], [3, 'method']], 'the routes for the path, with other methods')
  t.match(byMethod.nearMatches[0]?.why, 'takes GET, not DELETE')

  const byCase = await explain('GET', '/api/items/5')
  t.same(near(byCase), [[1, 'case']])
  t.match(byCase.nearMatches[0]?.why, 'server.routing.caseSensitive is on')

  const bySlash = await explain('GET', '/api/users')
  t.same(near(bySlash), [[2, 'slash']])

  const missingPrefix = await explain('GET', '/orders/1')
  t.same(near(missingPrefix), [[0, 'prefix']])
  t.match(missingPrefix.nearMatches[0]?.why, 'would match under /api')

  const extraPrefix = await explain('GET', '/v2/api/orders/1')
  t.same(near(extraPrefix), [[0, 'prefix']])
  t.match(extraPrefix.nearMatches[0]?.why, 'without the leading /v2')

  const partSegment = await explain('GET', '/api/ordersX/1')
  t.same(near(partSegment), [[0, 'prefix'], [4, 'prefix']], 'the routes taking GET whose static part starts the segment')
  t.match(partSegment.nearMatches[0]?.why, 'patterns match whole segments')

  for (const [method, path] of [['DELETE', '/api/orders/1'], ['GET', '/api/items/5'], ['GET', '/api/users'], ['GET', '/orders/1']]) {
    t.equal(
      (await call(`${gw.url}${path as string}`, { method: method as string })).status,
      404,
      `${method as string} ${path as string}: the gateway does not route it either`
    )
  }
})

t.test('a matched request lists the routes that match too but lose to it', async t => {
  const gw = await startTestGateway(t, `${TEST_SERVER}${ROUTES}`)
  const e = await explainRequest(gw.gateway, { method: 'POST', url: '/api/orders/1/notes', headers: {}, ip: '127.0.0.1' })
  t.equal(e.route?.index, 4)
  t.same(
    near(e),
    [
      [3, 'also-matches'],
      [0, 'method']
    ],
    'the POST route for /api/orders/* matches too but loses to the more specific one; the GET one differs by method'
  )
  const folded = await explainRequest(gw.gateway, { method: 'GET', url: '/API/ITEMS/5/', headers: {}, ip: '127.0.0.1' })
  t.equal(folded.route?.index, 1, 'with the default routing, case and one trailing slash are folded, as by the gateway')
  t.same(folded.route?.params, { id: '5' })
})
