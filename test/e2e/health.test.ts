import t from 'tap'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('health lives on the admin listener only', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, publicRouteYaml(upstream))
  t.ok(gw.adminUrl)
  const healthz = await call(`${gw.adminUrl}/healthz`)
  t.equal(healthz.status, 200)
  t.same(healthz.json(), { status: 'ok' })
  const readyz = await call(`${gw.adminUrl}/readyz`)
  t.equal(readyz.status, 200)
  t.equal(readyz.json().status, 'ok')
  t.equal((await call(`${gw.url}/healthz`)).status, 404, 'not reachable through the public listener')
})
