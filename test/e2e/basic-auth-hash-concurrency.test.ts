import t from 'tap'
import { Agent, request } from 'undici'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { MAX_CONCURRENT_CHECKS } from '../../src/secrets/secret-check-slots.js'

/** Three users at the production scrypt cost: each check takes tens of milliseconds, as in real use. */
async function costlyUsersFile (): Promise<string> {
  const lines = []
  for (const name of ['alice', 'bob', 'carol']) lines.push(`${name}:${await hashSecret(`${name}-pw`)}`)
  return lines.join('\n') + '\n'
}

t.test('basic authenticator: concurrent wrong passwords run scrypt one per user and a few at once', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}
authenticators:
  staff: { type: basic, usersFile: users.htpasswd }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: orders
    policy: user
    user: [staff]
`, { files: { 'users.htpasswd': await costlyUsersFile() } })
  const agent = new Agent({ connections: 60 })
  t.teardown(() => agent.close())
  const secretChecks = gw.gateway.secretSlots
  const before = secretChecks.runs

  const answers = await Promise.all(Array.from({ length: 60 }, async (_, i) => {
    const user = ['alice', 'bob', 'carol'][i % 3] as string
    const res = await request(`${gw.url}/api/x`, { headers: { authorization: basic(user as 'alice', `wrong-${i}`) }, dispatcher: agent })
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: await res.body.json() as { code: string } }
  }))
  const hashes = secretChecks.runs - before
  t.ok(secretChecks.peak <= MAX_CONCURRENT_CHECKS, `at most ${MAX_CONCURRENT_CHECKS} hashes at once (${secretChecks.peak})`)
  t.ok(hashes < 60, `fewer hashes than requests (${hashes})`)
  t.equal(answers.filter(a => a.status === 401).length, hashes, 'each hash that ran answered 401')
  const refused = answers.filter(a => a.status !== 401)
  t.ok(
    refused.every(a => (a.status === 429 && a.body.code === 'rate_limited') || (a.status === 503 && a.body.code === 'auth_unavailable')),
    'the rest: 429 rate_limited or 503 auth_unavailable'
  )
  t.ok(refused.every(a => Number(a.retryAfter) >= 1), 'with Retry-After')

  t.equal((await call(`${gw.url}/api/x`, { headers: { authorization: basic('alice', 'alice-pw') } })).status, 200, 'afterwards the right password works')
})
