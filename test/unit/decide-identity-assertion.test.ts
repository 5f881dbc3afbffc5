import t from 'tap'
import { decodeJwt } from 'jose'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { KEYS, clientsYaml } from '../helpers/gateway.js'

const assertionOf = (o: Outcome): string[] => {
  if (o.kind !== 'allow') return []
  const out: string[] = []
  for (let i = 0; i < o.headers.length; i += 2) if (o.headers[i] === 'remote-identity') out.push(o.headers[i + 1] as string)
  return out
}

t.test('with identity.assertion, an allowed request carries the signed identity; a dry run a placeholder, never a signature', async t => {
  const gateway = await createGateway(configOf(`${clientsYaml()}
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
identity:
  assertion: {}
upstreams:
  orders: { url: "http://127.0.0.1:9" }
routes:
  - { match: /api/*, upstream: orders, policy: client, client: [appKey] }
  - { match: /pub/*, upstream: orders, policy: public }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const ask = async (target: string, dryRun: boolean, headers: string[] = []): Promise<Outcome> =>
    await decide(gateway, decisionRequest({ method: 'GET', target, rawHeaders: ['Host', 'gw.test', 'Remote-Identity', 'forged', ...headers] }), { dryRun })

  const real = assertionOf(await ask('/api/1', false, ['X-API-Key', KEYS.android]))
  t.equal(real.length, 1, 'one assertion, the client\'s forged one dropped')
  t.match(decodeJwt(real[0] as string), { client_id: 'android', aud: 'orders' })
  t.same(assertionOf(await ask('/pub/1', false)).length, 1, 'a public route too: the upstream learns no one was authenticated')
  t.same(assertionOf(await ask('/api/1', true, ['X-API-Key', KEYS.android])), ['<assertion: a JWT the gateway signs for the upstream>'])
  t.match(await ask('/api/1', false), { kind: 'deny', stage: 'authenticate' }, 'a refusal signs nothing')
})
