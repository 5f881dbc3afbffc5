import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('an expired user token is refused, even while the local tier holds it', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
  const file = gw.gateway.config.file
  const status = async (token: string): Promise<Awaited<ReturnType<typeof call>>> =>
    await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })

  const made = await runTokens(['new', '-c', file, '--user', 'alice', '--expires', '2s'])
  t.equal(made.code, 0, made.err)
  const expiry = /^expires: (\S+)$/m.exec(made.out)?.[1] as string
  t.ok(Math.abs(Date.parse(expiry) - Date.now() - 2000) < 1500, `expires in about 2s (${expiry})`)
  const short = printedToken(made.out)
  const long = printedToken((await runTokens(['new', '-c', file, '--user', 'bob', '--expires', '90d'])).out)
  t.equal((await status(short)).status, 200, 'before its expiry')
  await sleep(2100)
  const late = await status(short)
  t.equal(late.status, 401, 'after it')
  t.equal(late.json().code, 'invalid_token')
  t.match(String(late.headers['www-authenticate']), /^Token realm="gatehouse", error="invalid_token"/)
  t.equal((await status(long)).status, 200, 'a 90-day token still works')

  const listed = await runTokens(['list', '-c', file])
  t.notMatch(listed.out, /\balice\b/, 'an expired token is no longer listed')
  t.match(listed.out, new RegExp(`\\bbob\\b.* ${new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10)}T`), 'bob\'s, with its expiry')

  const past = await runTokens(['new', '-c', file, '--user', 'carol', '--expires', '2020-01-01'])
  t.equal(past.code, 1)
  t.match(past.err, /2020-01-01 has passed/, 'a token that would be born expired is not made')
  t.equal((await runTokens(['new', '-c', file, '--user', 'carol', '--expires', 'soon'])).code, 1, 'nor one with an expiry that means nothing')
})
