import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { until } from '../helpers/until.js'

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
  // The exporter retries a refused connection for up to its 10 s timeout before it gives up and says so.
  const failureLogged = (): boolean => gw.logs.some(l => l.component === 'otlp' && (l.level as number) >= 40)
  await until('the export failure to be logged', failureLogged, 60_000)
  t.ok(failureLogged(), 'the export failure reaches the gateway\'s log')
})
