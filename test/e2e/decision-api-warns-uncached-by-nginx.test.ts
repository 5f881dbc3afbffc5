import t from 'tap'
import { clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN } from '../helpers/decision-api.js'

t.test('a start with decisionsCacheTtl warns of each route nginx will not cache, and only of those', async t => {
  const gw = await startTestGateway(t, `server:
  listen: 127.0.0.1:0
  admin: false
  decisions: 127.0.0.1:0
  decisionsToken: ${DECISIONS_TOKEN}
  decisionsCacheTtl: 5s
${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  partnerKey: { type: apiKey, header: X-Partner-Application-Key-For-The-Orders-Service }
  legacyKey: { type: apiKey, header: X-Legacy-Application-Key-For-The-Billing-Service }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /one/*, upstream: web, policy: client, client: [appKey] }
  - { match: /many/*, upstream: web, policy: client, client: [appKey, partnerKey, legacyKey] }
`)
  const warned = gw.logs.filter(l => l.level === 40 && String(l.msg).startsWith('decision API: nginx caches no allow'))
  t.same(warned.map(l => l.route), ['/many/*'], 'the route whose Vary nginx cannot keep, named once')
  t.match(warned[0]?.msg, /longer than the 128 nginx stores/)
})
