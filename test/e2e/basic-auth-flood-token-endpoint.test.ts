import t from 'tap'
import { randomBytes } from 'node:crypto'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { fromAddress, postFormWith } from '../helpers/from-address.js'
import { ISSUER, SECRETS, basic, jwksFile, signingKey } from '../helpers/tokens.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { MAX_FAILED_ATTEMPTS_PER_ADDRESS } from '../../src/tokens/oauth-endpoints.js'

const TOKEN_REQUESTS = 10

/** A name and password of random bytes (a name of its own each time): each costs a password check unless refused first. */
function randomBasic (i: number): string {
  return `Basic ${Buffer.concat([Buffer.from(randomBytes(6).toString('hex')), randomBytes(i % 12), Buffer.from(':'), randomBytes(9)]).toString('base64')}`
}
/** Cheaper than production, still slow enough that three clients keep every slot of the process busy. */
const COST = { N: 4096, r: 8, p: 1 }

t.test('clients flooding random Basic credentials on a public route cannot starve the token endpoint', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}tokens:
  issuer: ${ISSUER}
  signingKeys: keys.json
clients:
  - id: android
    secretHash: "${await hashSecret(SECRETS.android, COST)}"
    scopes: [orders:read]
authenticators:
  staff: { type: basic, usersFile: users.htpasswd }
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /public/*, upstream: web, policy: public, user: [staff] }
`, { files: { 'keys.json': jwksFile(await signingKey()), 'users.htpasswd': `alice:${await hashSecret('alice-pw', COST)}\n` } })

  let flooding = true
  const floods = ['127.0.0.3', '127.0.0.4', '127.0.0.5'].map(async address => {
    const send = fromAddress(t, address, 4)
    const statuses: number[] = []
    while (flooding) {
      statuses.push((await send(`${gw.url}/public/x`, { headers: { authorization: randomBasic(statuses.length) } })).status)
    }
    return statuses
  })

  const app = fromAddress(t, '127.0.0.2')
  const answers: number[] = []
  try {
    for (let i = 0; i < TOKEN_REQUESTS; i++) {
      const res = await postFormWith(app, `${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('android', SECRETS.android) })
      answers.push(res.status)
    }
  } finally {
    flooding = false
  }
  const flooded = await Promise.all(floods)

  t.same(answers, Array(TOKEN_REQUESTS).fill(200), 'every token request with the right secret got its token during the flood')
  for (const statuses of flooded) {
    t.ok(statuses.every(s => s === 401 || s === 429 || s === 503), `each flooding request is refused: ${[...new Set(statuses)].join(' ')}`)
  }

  // One address guessing on alone: its failures fill the window, then it is refused before any hashing.
  const guesser = fromAddress(t, '127.0.0.6')
  const guesses: number[] = []
  while (guesses.length < 2 * MAX_FAILED_ATTEMPTS_PER_ADDRESS && !guesses.includes(429)) {
    guesses.push((await guesser(`${gw.url}/public/x`, { headers: { authorization: randomBasic(guesses.length) } })).status)
  }
  const checked = guesses.filter(s => s === 401).length
  t.equal(checked, MAX_FAILED_ATTEMPTS_PER_ADDRESS, `${MAX_FAILED_ATTEMPTS_PER_ADDRESS} wrong guesses from one address are checked`)
  const refused = await guesser(`${gw.url}/public/x`, { headers: { authorization: randomBasic(0) } })
  t.equal(refused.status, 429, 'then the next is 429')
  t.equal(refused.json<{ code: string }>().code, 'rate_limited')
  t.ok(Number(refused.headers['retry-after']) >= 1, 'with Retry-After')
  t.equal((await app(`${gw.url}/public/x`, { headers: { authorization: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}` } })).status, 200,
    'a user from an address that did not flood still logs in')
})
