import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { until } from '../helpers/until.js'

/** A target answering its name, and its /base/healthz with whatever `health.status` says. */
async function target (t: { teardown (fn: () => unknown): void }, name: string): Promise<{ url: string, health: { status: number }, checks: string[] }> {
  const health = { status: 200 }
  const checks: string[] = []
  const server = createServer((req, res) => {
    req.resume()
    if (req.url === '/base/healthz') {
      checks.push(req.headers.host as string)
      res.writeHead(health.status).end()
    } else {
      res.end(name)
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`, health, checks }
}

t.test('active health checks: a target failing its check gets no request until a check passes', async t => {
  const a = await target(t, 'a')
  const b = await target(t, 'b')
  b.health.status = 503
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  svc: { targets: ["${a.url}", "${b.url}"], healthCheck: { path: /healthz, interval: 100ms, timeout: 2s } }
routes:
  - { match: /svc/*, upstream: svc, policy: public }
`)
  await until('b checked', () => b.checks.length >= 1)
  await until(
    'b out',
    async () =>
      (await call(`${gw.adminUrl as string}/readyz`)).json<{ checks: { upstreams: string } }>().checks.upstreams === 'ok' &&
      !gw.gateway.balancers.get('svc')?.up(1)
  )
  const answers = await Promise.all(Array.from({ length: 10 }, async () => (await call(`${gw.url}/svc/x`)).text))
  t.same(new Set(answers), new Set(['a']), 'every request went to the target whose check passes')
  t.equal(b.checks[0], new URL(b.url).host, 'the check carries the target\'s own Host')

  a.health.status = 500
  await until(
    'no target up',
    async () => (await call(`${gw.adminUrl as string}/readyz`)).json<{ checks: { upstreams: string } }>().checks.upstreams === 'no healthy target: svc'
  )
  t.equal(
    (await call(`${gw.adminUrl as string}/readyz`)).json<{ checks: { upstreams: string } }>().checks.upstreams,
    'no healthy target: svc',
    '/readyz: no healthy target'
  )

  a.health.status = 200
  b.health.status = 204
  await until(
    'both back',
    () =>
      gw.gateway.balancers.get('svc')?.healthy() === true && gw.gateway.balancers.get('svc')?.up(1) === true && gw.gateway.balancers.get('svc')?.up(0) === true
  )
  const both = await Promise.all(Array.from({ length: 10 }, async () => (await call(`${gw.url}/svc/x`)).text))
  t.same(new Set(both), new Set(['a', 'b']), 'a passing check brings a target back')
})
