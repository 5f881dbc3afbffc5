import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { uncachedByNginx } from '../../src/decision-api/front-door.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { clientsYaml } from '../helpers/gateway.js'

// nginx stores no answer whose Vary is over 128 bytes: the operator is told which routes that leaves undecided by its cache.
t.test('the routes nginx would not cache: a cacheable allow whose Vary is longer than nginx keeps, only with decisionsCacheTtl', async t => {
  const yaml = (server: string): string => `server: { ${server} }
${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  partnerKey: { type: apiKey, header: X-Partner-Application-Key-For-The-Orders-Service }
  legacyKey: { type: apiKey, header: X-Legacy-Application-Key-For-The-Billing-Service }
  idp: { type: jwt, issuer: "https://idp.test/", audience: api, secret: "${'s'.repeat(32)}" }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /both/*, upstream: web, policy: client+user, client: [appKey], user: [idp] }
  - { match: /many/*, upstream: web, policy: client+user, client: [appKey, partnerKey, legacyKey], user: [idp] }
  - { match: /limited/*, upstream: web, policy: client, client: [appKey, partnerKey, legacyKey], rateLimit: { max: 5, window: 1m } }
`
  const of = async (server: string): Promise<Array<{ route: string, vary: string }>> => {
    const gateway = await createGateway(configOf(yaml(server)), createLogger('silent'), { clock: manualClock() })
    t.teardown(async () => await gateway.close())
    return uncachedByNginx(gateway).map(({ route, vary }) => ({ route: route.match, vary }))
  }

  const cached = await of('decisions: 127.0.0.1:0, decisionsCacheTtl: 5s')
  t.same(cached.map(u => u.route), ['/many/*'], 'the route reading three long key headers and a token; never a no-store route (rate-limited)')
  t.ok((cached[0]?.vary.length ?? 0) > 128, 'its Vary is over 128 bytes')
  t.match(cached[0]?.vary, /x-partner-application-key-for-the-orders-service/)
  t.same(await of('decisions: 127.0.0.1:0, decisionsCacheTtl: 0s'), [], 'nothing cached at all: nothing to tell')
  t.same(await of('admin: false'), [], 'no decision API: nothing to tell')
})
