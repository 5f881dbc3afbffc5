import t from 'tap'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startGatewayPair } from '../helpers/gateway-pair.js'
import { call } from '../helpers/http.js'
import { until } from '../helpers/until.js'
import { SECRETS, basic, fetchToken, jwksFile, postForm, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

const redisUp = async (gw: TestGateway): Promise<boolean> =>
  (await call(`${gw.adminUrl as string}/readyz`)).json<{ checks: { redis: string } }>().checks.redis === 'up'

t.test('a revoked client token stays refused after Redis restarts empty, on every instance', async t => {
  const upstream = await startEcho(t)
  const keys = jwksFile(await signingKey())
  const { redis, yaml, a, b } = await startGatewayPair(t, async url => await tokenGatewayYaml({ upstream, redis: url }), { files: { 'keys.json': keys } })
  const token = await fetchToken(a.url, 'android', SECRETS.android)
  const other = await fetchToken(a.url, 'android', SECRETS.android)
  const status = async (gw: TestGateway, value = token): Promise<number> =>
    (await call(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': value } })).status

  t.equal(await status(a), 200)
  t.equal(await status(b), 200)
  const revoked = await postForm(`${a.url}/oauth/revoke`, { token }, { authorization: basic('android', SECRETS.android) })
  t.equal(revoked.status, 200)
  t.equal(await status(a), 401, 'A refuses the revoked token')
  t.equal(await status(b), 401, 'B refuses it (it read the denylist in Redis)')

  // Redis crashes and comes back with nothing: the denylist entry is gone from it.
  await redis.kill()
  await until('both instances to see Redis down', async () => !await redisUp(a) && !await redisUp(b))
  t.equal(await status(a), 401, 'while Redis is down: A still refuses')
  t.equal(await status(b), 401, 'and B')
  // A write-back from before the restart (they also run on a timer) says nothing of the new Redis.
  const logsBeforeRestart = a.logs.length
  await redis.start()
  await until('both instances to reconnect', async () => await redisUp(a) && await redisUp(b))

  t.equal(await status(a), 401, 'after the restart: A still refuses')
  t.equal(await status(b), 401, 'B still refuses')
  t.equal(await status(b, other), 200, 'the client\'s other token still works')

  // The instances write what they know back into the new Redis: one that never saw the revocation learns it there.
  await until('the revocations to be written back', () => a.logs.slice(logsBeforeRestart).some(l => l.msg === 'client token revocations written back to redis'))
  const c = await startTestGateway(t, yaml, { files: { 'keys.json': keys } })
  t.equal(await status(c), 401, 'a new instance started after the restart refuses it too')
  t.equal(await status(c, other), 200)
})
