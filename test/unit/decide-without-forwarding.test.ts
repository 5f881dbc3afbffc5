import t from 'tap'
import { decodeJwt } from 'jose'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { KEYS, clientsYaml } from '../helpers/gateway.js'

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
const pairs = (flat: readonly string[]): Array<[string, string]> => flat.flatMap((v, i) => i % 2 === 0 ? [[v, flat[i + 1] as string] as [string, string]] : [])

// The decision API answers with what the upstream would be told and forwards nothing: it is spared the upstream's headers.
t.test('forwards: false gives the same allow and what it tells, without the upstream request headers', async t => {
  const gateway = await createGateway(configOf(`${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
identity:
  assertion: { header: X-Signed-Identity }
upstreams:
  orders: { url: "http://127.0.0.1:9" }
routes:
  - { match: /api/*, upstream: orders, policy: client, client: [appKey] }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const ask = async (forwards: boolean | undefined): Promise<Outcome> => await decide(gateway, decisionRequest({
    method: 'GET',
    target: '/api/1?x=1',
    rawHeaders: ['Host', 'gw.test', 'X-API-Key', KEYS.android, 'Remote-Client', 'forged', 'Traceparent', TRACEPARENT]
  }), { requestId: 'r1', forwards })

  const forwarded = await ask(undefined)
  const answered = await ask(false)
  if (forwarded.kind !== 'allow' || answered.kind !== 'allow') throw new Error('both allowed')
  t.same(answered.headers, [], 'no upstream request headers made')
  t.equal(answered.path, forwarded.path, 'the same upstream path')
  t.same(answered.identity, forwarded.identity, 'the same identity')

  const told = Object.fromEntries(answered.told)
  t.match(told, { 'remote-client': 'android', 'remote-auth': 'appKey' })
  t.match(decodeJwt(told['x-signed-identity'] as string), { client_id: 'android', aud: 'orders' }, 'the assertion, signed')
  t.notOk('traceparent' in told, 'no trace context: nothing is forwarded')

  // What the proxy path tells the upstream is exactly what `told` lists, nothing the client sent in its place.
  const upstream = pairs(forwarded.headers)
  for (const [name, value] of forwarded.told) {
    t.same(upstream.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v), [value], `${name}: the told value, once`)
  }
  t.ok(upstream.some(([n]) => n === 'traceparent'), 'the forwarded request carries the trace context')
})
