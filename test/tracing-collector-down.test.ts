import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { TEST_SERVER, startTestGateway } from './helpers/gateway.js'
import { startEcho } from './helpers/upstream.js'
import { call } from './helpers/http.js'
import { freePort } from './helpers/ports.js'

t.test('an unreachable OTLP collector never touches requests: they are served, and the failed export is logged', async t => {
  const upstream = await startEcho(t)
  const collector = `http://127.0.0.1:${await freePort()}`
  const gw = await startTestGateway(t, `${TEST_SERVER}telemetry:
  otlp: { endpoint: "${collector}", exportInterval: 100ms }
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /public/*, upstream: web, policy: public }
`)
  for (let i = 0; i < 5; i++) t.equal((await call(`${gw.url}/public/${i}`)).status, 200, `request ${i + 1} served`)
  let logged = false
  for (let i = 0; i < 150 && !logged; i++) {
    logged = gw.logs.some(l => l.component === 'otlp' && (l.level as number) >= 40)
    if (!logged) await sleep(100)
  }
  t.ok(logged, 'the export failure reaches the gateway\'s log')
})
