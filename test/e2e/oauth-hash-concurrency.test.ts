import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { fromAddress, postFormWith } from '../helpers/from-address.js'
import { SECRETS, basic, jwksFile, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('40 concurrent wrong secrets for one client run at most 10 scrypt hashes, few at a time', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream, defaultCost: true }), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const attacker = fromAddress(t, '127.0.0.1')
  const secretChecks = gw.gateway.secretSlots
  const before = secretChecks.runs

  const answers = await Promise.all(Array.from({ length: 40 }, async (_, i) =>
    await postFormWith(attacker, `${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('android', `guess-${i}`) })))
  const statuses = answers.map(a => a.status)
  const hashes = secretChecks.runs - before
  t.ok(hashes <= 10, `at most 10 hashes ran (${hashes})`)
  t.ok(secretChecks.peak <= 2, `at most 2 at once (${secretChecks.peak})`)
  t.equal(statuses.filter(s => s === 401).length, hashes, 'each hash that ran answered 401')
  t.ok(statuses.every(s => s === 401 || s === 429 || s === 503), `the rest are refused before hashing: ${[...new Set(statuses)].join(' ')}`)
  const refused = answers.filter(a => a.status === 429 || a.status === 503)
  t.ok(refused.length >= 30, `${refused.length} refused`)
  t.ok(refused.every(a => typeof a.json().error === 'string' && typeof a.json().error_description === 'string'), 'each in OAuth JSON form')
  t.ok(refused.every(a => Number(a.headers['retry-after']) >= 1), 'each with Retry-After')
  t.ok(refused.every(a => a.headers['cache-control'] === 'no-store'), 'each no-store')

  // Sequential guesses now: the reserved failures already fill the window.
  for (let i = 0; i < 5; i++) {
    await postFormWith(attacker, `${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('android', `late-${i}`) })
  }
  t.ok(secretChecks.runs - before <= 10, `still at most 10 hashes in the window (${secretChecks.runs - before})`)

  const other = fromAddress(t, '127.0.0.2')
  const real = await postFormWith(other, `${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('android', SECRETS.android) })
  t.equal(real.status, 200, 'the real client from another address still gets its token')
})
