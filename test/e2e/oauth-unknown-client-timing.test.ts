import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { ISSUER, basic, jwksFile, postForm, signingKey } from '../helpers/tokens.js'
import { hashSecret } from '../../src/secrets/client-secret.js'

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

t.test('an unknown client id costs the token endpoint what a known one does: timing does not tell which ids exist', async t => {
  const upstream = await startEcho(t)
  // Secrets hashed at a cost far below the default: an unknown id checked against a decoy at
  // the default cost would take many times longer than a wrong secret for a known id.
  const cost = { N: 1024, r: 8, p: 1 }
  const gw = await startTestGateway(t, `${TEST_SERVER}  trustProxy: true
tokens:
  issuer: ${ISSUER}
  signingKeys: keys.json
clients:
  - id: android
    secretHash: "${await hashSecret('ghs_the-right-secret', cost)}"
authenticators:
  appToken: { type: clientToken }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - { match: /api/orders/*, upstream: orders, policy: client, client: [appToken] }
`, { files: { 'keys.json': jwksFile(await signingKey()) } })
  const timed = async (id: string, ip: string): Promise<number> => {
    const started = process.hrtime.bigint()
    const res = await postForm(
      `${gw.url}/oauth/token`,
      { grant_type: 'client_credentials' },
      { authorization: basic(id, 'a-wrong-secret'), 'x-forwarded-for': ip }
    )
    t.equal(res.status, 401)
    return Number(process.hrtime.bigint() - started) / 1e6
  }
  const known: number[] = []
  const unknown: number[] = []
  for (let i = 0; i < 7; i++) {
    known.push(await timed('android', `10.0.7.${i}`))
    unknown.push(await timed(`nobody-${i}`, `10.0.8.${i}`))
  }
  const [k, u] = [median(known), median(unknown)]
  t.ok(u < 3 * k + 15, `unknown ids ${u.toFixed(1)} ms, a known id with a wrong secret ${k.toFixed(1)} ms (medians of 7)`)
})
