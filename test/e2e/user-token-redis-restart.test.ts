import t from 'tap'
import { until } from '../helpers/until.js'
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { printedId, printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('tokens and revocations survive a Redis crash and restart when Redis persists (appendonly yes)', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t, { persistDir: tempDir(t) })
  const yaml = userTokenYaml(upstream, redis.url)
  const a = await startTestGateway(t, yaml)
  const b = await startTestGateway(t, yaml)
  const file = a.gateway.config.file
  const status = async (gw: TestGateway, token: string): Promise<number> =>
    (await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })).status

  t.notOk(a.logs.some(l => /neither AOF nor RDB/.test(String(l.msg))), 'a persisting Redis draws no warning')
  const kept = printedToken((await runTokens(['new', '-c', file, '--user', 'alice'])).out)
  const made = await runTokens(['new', '-c', file, '--user', 'bob'])
  const revoked = printedToken(made.out)
  for (const gw of [a, b]) {
    t.equal(await status(gw, kept), 200)
    t.equal(await status(gw, revoked), 200, 'bob\'s token, in both local tiers')
  }
  t.equal((await runTokens(['revoke', '-c', file, printedId(made.out)])).code, 0)
  t.equal(await status(b, revoked), 401, 'revoked, on the second instance at once')

  await redis.kill()
  await redis.start()
  // Both instances reconnect, and forget what their local tier held while they could not hear revocations.
  await until('both instances are back on redis', async () => a.gateway.cache.redisState === 'up' && b.gateway.cache.redisState === 'up')
  for (const gw of [a, b]) {
    t.equal(await status(gw, revoked), 401, 'the revocation held through the restart')
    t.equal(await status(gw, kept), 200, 'the token that was not revoked still works: Redis kept it')
  }
  const listed = await runTokens(['list', '-c', file])
  t.equal(listed.out.trim().split('\n').length, 2, 'the store lists alice\'s token alone')
  t.match(listed.out, /\balice\b/)
})
