import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('Redis down: a user token the local tier does not hold cannot be checked, so 503 (fail closed); a warm one is served', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
  const file = gw.gateway.config.file
  const warm = printedToken((await runTokens(['new', '-c', file, '--user', 'alice'])).out)
  const cold = printedToken((await runTokens(['new', '-c', file, '--user', 'bob'])).out)
  const me = async (token: string): Promise<Awaited<ReturnType<typeof call>>> =>
    await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })
  t.equal((await me(warm)).status, 200)

  await redis.kill()
  const unchecked = await me(cold)
  t.equal(unchecked.status, 503, 'never a pass, never a 401 for a token that may be valid')
  t.equal(unchecked.json().code, 'auth_unavailable')
  t.equal(unchecked.headers['retry-after'], '1')
  t.equal((await me(warm)).status, 200, 'the local tier still answers for a token it holds')
  t.equal((await me('ghu_not-a-token')).status, 503, 'an unknown token cannot be told from a valid one either')
})
