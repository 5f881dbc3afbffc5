import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('a client_id that names no client is logged as a hash prefix, never verbatim; the 401 is logged as a denial', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}
clients:
  - id: android
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /open/*, upstream: web, policy: public }
`)
  // A secret pasted into the id field: it must not land in the log.
  const pasted = 'gh_secret_pasted-into-the-wrong-field-0123456789'
  const res = await call(`${gw.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${pasted}&client_secret=whatever`
  })
  t.equal(res.status, 401)
  t.equal(res.json().error, 'invalid_client')
  t.notMatch(gw.logText(), pasted, 'the unknown id is never written to the log')
  const failed = gw.logs.find(l => l.msg === 'client authentication failed')
  t.match(String(failed?.client), /^unknown:[0-9a-f]{12}$/, 'it is logged as a hash prefix')
  const access = gw.logs.find(l => l.msg === 'request' && l.path === '/oauth/token')
  t.equal(access?.decision, 'deny', 'the access line says deny for the 401')
})
