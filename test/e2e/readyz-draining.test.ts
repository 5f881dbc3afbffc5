import t from 'tap'
import type { Socket } from 'node:net'
import { TEST_SERVER, publicRouteYaml, startTestGateway } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { responseBytes, startRawUpstream } from '../helpers/raw-http.js'
import { until } from '../helpers/until.js'

// A load balancer (or Kubernetes) takes an instance out when /readyz fails: from the moment the
// drain starts, not once its connections are already refused.
t.test('/readyz answers 503 as soon as the drain starts, while in-flight requests finish', async t => {
  const held: Socket[] = []
  const upstream = await startRawUpstream(t, (_req, socket) => { held.push(socket) })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url, '/*', `${TEST_SERVER}  drainTimeout: 60s\n`))
  const ready = async (): Promise<number> => (await call(`${gw.adminUrl as string}/readyz`)).status
  t.equal(await ready(), 200, 'ready before the drain')

  const inflight = call(`${gw.url}/slow`)
  await until('the request to reach the upstream', () => held.length === 1)
  const closed = gw.close()
  const res = await call(`${gw.adminUrl as string}/readyz`)
  t.equal(res.status, 503, 'not ready once draining')
  t.equal(res.json<{ checks?: Record<string, string> }>().checks?.process, 'draining', 'and says why')

  held[0]?.write(responseBytes(200, ['Content-Type: text/plain'], 'done'))
  t.equal((await inflight).status, 200, 'the request in flight is still answered')
  await closed
})
