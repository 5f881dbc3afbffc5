import t from 'tap'
import { startTestGateway } from './helpers/gateway.js'
import { startEcho } from './helpers/upstream.js'
import { startRedis } from './helpers/redis.js'
import { userTokenYaml } from './helpers/api-tokens.js'

t.test('the gateway warns at start when the Redis holding user tokens has neither AOF nor RDB snapshots', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
  const warnings = gw.logs.filter(l => l.level === 40 && /neither AOF nor RDB/.test(String(l.msg)))
  t.equal(warnings.length, 1, 'one warning')
  t.match(String(warnings[0]?.msg), /appendonly yes/, 'that says what to do')
})
