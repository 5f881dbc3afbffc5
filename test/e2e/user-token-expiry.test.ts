import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { skewedClock } from '../helpers/clock.js'
import { until } from '../helpers/until.js'
import { printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('an expired user token is refused by its expiry, though Redis still holds it', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const clock = skewedClock()
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url), { clock })
  const file = gw.gateway.config.file
  const status = async (token: string): Promise<Awaited<ReturnType<typeof call>>> =>
    await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })

  // Bracketed by the times around the command (however long it took to start), with a second for rounding in the printed time.
  const before = Date.now()
  const made = await runTokens(['new', '-c', file, '--user', 'alice', '--expires', '1m'])
  const after = Date.now()
  t.equal(made.code, 0, made.err)
  const expiry = /^expires: (\S+)$/m.exec(made.out)?.[1] as string
  const expires = Date.parse(expiry)
  t.ok(expires >= before + 59_000 && expires <= after + 61_000, `expires a minute after it was made (${expiry})`)
  const short = printedToken(made.out)
  const long = printedToken((await runTokens(['new', '-c', file, '--user', 'bob', '--expires', '90d'])).out)
  t.equal((await status(short)).status, 200, 'before its expiry')
  // Past its expiry by the gateway's clock; Redis (real time) still has the record for a minute.
  clock.advance(60_500)
  const late = await status(short)
  t.equal(late.status, 401, 'after it')
  t.equal(late.json().code, 'invalid_token')
  t.match(String(late.headers['www-authenticate']), /^Token realm="gatehouse", error="invalid_token"/)
  t.equal((await status(long)).status, 200, 'a 90-day token still works')

  const past = await runTokens(['new', '-c', file, '--user', 'carol', '--expires', '2020-01-01'])
  t.equal(past.code, 1)
  t.match(past.err, /2020-01-01 has passed/, 'a token that would be born expired is not made')
  t.equal((await runTokens(['new', '-c', file, '--user', 'carol', '--expires', 'soon'])).code, 1, 'nor one with an expiry that means nothing')
})

t.test('an expired user token is no longer listed: Redis drops it at its expiry', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
  const file = gw.gateway.config.file
  t.equal((await runTokens(['new', '-c', file, '--user', 'bob', '--expires', '90d'])).code, 0)
  // Long enough for one more CLI start on a loaded machine (1 s was not: the token was gone before the list).
  t.equal((await runTokens(['new', '-c', file, '--user', 'alice', '--expires', '15s'])).code, 0)
  t.match((await runTokens(['list', '-c', file])).out, /\balice\b/, 'listed while it lasts')
  // Redis expires the key in its own (real) time.
  await until('alice\'s token to leave the list', async () => !/\balice\b/.test((await runTokens(['list', '-c', file])).out), 60_000)
  t.match(
    (await runTokens(['list', '-c', file])).out,
    new RegExp(`\\bbob\\b.* ${new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10)}T`),
    "bob's, with its expiry"
  )
})
