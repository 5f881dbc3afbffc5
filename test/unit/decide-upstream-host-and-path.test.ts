import t from 'tap'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest, type RawRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'

const headerOf = (o: Outcome, name: string): string[] => {
  if (o.kind !== 'allow') return []
  const out: string[] = []
  for (let i = 0; i < o.headers.length; i += 2) if (o.headers[i] === name) out.push(o.headers[i + 1] as string)
  return out
}

async function gatewayOf (t: { teardown: (fn: () => Promise<void>) => void }, server: string): Promise<Gateway> {
  const gateway = await createGateway(configOf(`${server}
upstreams:
  orders: { url: "http://127.0.0.1:9/base" }
routes:
  - { match: /api/orders/*, upstream: orders, policy: public, rewrite: { stripPrefix: /api } }
  - { match: /plain/*, upstream: orders, policy: public }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  return gateway
}

const ask = async (gateway: Gateway, r: Partial<RawRequest> & { target: string }): Promise<Outcome> =>
  await decide(gateway, decisionRequest({ method: 'GET', rawHeaders: ['Host', 'gw.test:8080'], ...r }))

t.test('the upstream is sent its own Host, and X-Forwarded-Host the host the client named', async t => {
  const gateway = await gatewayOf(t, '')
  const o = await ask(gateway, { target: '/plain/1' })
  t.same(headerOf(o, 'host'), ['127.0.0.1:9'])
  t.same(headerOf(o, 'x-forwarded-host'), ['gw.test:8080'])
  t.same(headerOf(await ask(gateway, { target: '/plain/1', rawHeaders: [] }), 'x-forwarded-host'), [], 'no Host sent: none forwarded')
})

t.test('with server.publicOrigins, X-Forwarded-Host is the configured origin\'s host, never the spelling the client sent', async t => {
  const gateway = await gatewayOf(t, 'server:\n  publicOrigins: [https://api.example.com]')
  const o = await ask(gateway, { target: '/plain/1', rawHeaders: ['Host', 'API.Example.com:443'], tls: { encrypted: true, authorized: false } })
  t.same(headerOf(o, 'x-forwarded-host'), ['api.example.com'])
  t.same(headerOf(o, 'x-forwarded-proto'), ['https'])
})

t.test('a rewrite changes the path the upstream is asked for, after the decision; the judged path is kept beside it', async t => {
  const gateway = await gatewayOf(t, '')
  t.match(await ask(gateway, { target: '/api/orders/7' }), { kind: 'allow', path: '/orders/7', judgedPath: '/api/orders/7' })
  t.match(await ask(gateway, { target: '/api/orders/7?x=1&y=2' }), { kind: 'allow', path: '/orders/7?x=1&y=2', judgedPath: '/api/orders/7' })
  const plain = await ask(gateway, { target: '/plain/1' })
  t.match(plain, { kind: 'allow', path: '/plain/1', judgedPath: undefined }, 'no rewrite: no judged path apart, no empty query')
  t.equal(plain.kind === 'allow' && plain.path, '/plain/1', 'exactly: no trailing ?')
})

t.test('the upstream is told the listener\'s request id, or `explain` for a decision asked from outside a listener', async t => {
  const gateway = await gatewayOf(t, '')
  const request = decisionRequest({ method: 'GET', target: '/plain/1', rawHeaders: ['Host', 'gw.test', 'X-Request-Id', 'client-chosen'] })
  t.same(headerOf(await decide(gateway, request, { requestId: 'req-7' }), 'x-request-id'), ['req-7'])
  t.same(headerOf(await decide(gateway, request), 'x-request-id'), ['explain'])
})
