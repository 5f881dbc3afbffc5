import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml } from '../helpers/decision-api.js'
import { call } from '../helpers/http.js'
import { startEcho } from '../helpers/upstream.js'

t.test('the decision API answers with the proxy\'s X-Request-Id when it is well-formed, whatever its case, else with its own', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, decisionsYaml(upstream))
  const ask = async (headers: Record<string, string>): Promise<unknown> => (await call(`${gw.decisionsUrl as string}/nginx`, {
    headers: { 'x-gatehouse-decisions-token': DECISIONS_TOKEN, 'x-original-method': 'GET', 'x-original-uri': '/public/a', ...headers }
  })).headers['x-request-id']
  t.equal(await ask({ 'x-request-id': 'req-from-nginx-1' }), 'req-from-nginx-1', 'kept')
  t.equal(await ask({ 'X-REQUEST-ID': 'req-from-nginx-2' }), 'req-from-nginx-2', 'kept, the name in any case')
  t.match(await ask({ 'x-request-id': 'not one of ours!' }), /^[0-9a-f-]{36}$/, 'a malformed one is replaced')
  t.match(await ask({}), /^[0-9a-f-]{36}$/, 'none sent: one is made')
})
