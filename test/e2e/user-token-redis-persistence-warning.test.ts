import t from 'tap'
import { startTestGateway, tempDir } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { userTokenYaml } from '../helpers/api-tokens.js'

const NO_PERSISTENCE = /neither AOF nor RDB/

t.test('the gateway warns at start when the Redis holding user tokens has neither AOF nor RDB snapshots', async t => {
  const upstream = await startEcho(t)

  await t.test('no AOF, no snapshots: warned', async t => {
    const redis = await startRedis(t)
    const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
    const warnings = gw.logs.filter(l => l.level === 40 && NO_PERSISTENCE.test(String(l.msg)))
    t.equal(warnings.length, 1, 'one warning')
    t.match(String(warnings[0]?.msg), /appendonly yes/, 'that says what to do')
  })

  await t.test('RDB snapshots: no warning', async t => {
    const redis = await startRedis(t, { args: ['--dir', tempDir(t), '--save', '3600 1'] })
    const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
    t.notOk(gw.logs.some(l => NO_PERSISTENCE.test(String(l.msg))))
  })

  await t.test('CONFIG disabled, as on managed Redis: said to be unknown, no warning, the gateway starts', async t => {
    const redis = await startRedis(t, { args: ['--rename-command', 'CONFIG', ''] })
    const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
    t.notOk(gw.logs.some(l => NO_PERSISTENCE.test(String(l.msg))))
    t.ok(gw.logs.some(l => l.level === 30 && /CONFIG is not allowed/.test(String(l.msg))), 'an info line says persistence could not be told')
  })

  await t.test('a config without a userToken authenticator does not ask', async t => {
    const redis = await startRedis(t)
    const yaml = userTokenYaml(upstream, redis.url)
      .replace(/ {2}personal:\n {4}type: userToken\n/, '')
      .replace(/ {2}- match: \/api\/me[\s\S]*$/, '  - { match: /x/*, upstream: web, policy: public }\n')
    const gw = await startTestGateway(t, yaml)
    t.notOk(gw.logs.some(l => NO_PERSISTENCE.test(String(l.msg))))
  })
})
