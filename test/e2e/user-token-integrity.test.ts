import t from 'tap'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { startTestGateway, tempDir } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { runTokens, userTokenYaml } from '../helpers/api-tokens.js'

const KEY = 'integrity-key-0123456789abcdef0123456789abcdef'
const ALICE = '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b'
const MALLORY = 'ghu_a-token-nobody-made-000000000000000000000'

t.test('with cache.integrityKey, Redis is no trust root for user tokens: a record the gateway did not seal is refused', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const sealed = userTokenYaml(upstream, redis.url).replace(`  redis: ${redis.url}\n`, `  redis: ${redis.url}\n  integrityKey: ${KEY}\n`)
  const gw = await startTestGateway(t, sealed)
  const dir = tempDir(t, {
    'plain.yaml': userTokenYaml(upstream, redis.url),
    'dump.json': JSON.stringify([
      { model: 'auth.user', pk: 1, fields: { username: 'alice', is_active: true } },
      { model: 'authtoken.token', pk: ALICE, fields: { user: 1, created: '2024-01-01T00:00:00Z' } }
    ])
  })
  const status = async (token: string): Promise<number> => (await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })).status

  const forged = JSON.stringify({ id: 'f0f0f0f0f0f0f0f0', user: 'admin', scopes: [], client: null, created: 0, expires: null })
  execFileSync('redis-cli', ['-p', String(redis.port), 'SET', `gatehouse:v1:user-api-token:${createHash('sha256').update(MALLORY).digest('hex')}`, forged])
  const failuresBefore = gw.gateway.cache.counters.integrityFailures
  t.equal(await status(MALLORY), 401, 'a record written straight into Redis makes no token')
  t.equal(gw.gateway.cache.counters.integrityFailures - failuresBefore, 1, 'and is counted as an integrity failure')

  const unkeyed = await runTokens(['import', '-c', join(dir, 'plain.yaml'), '--drf', join(dir, 'dump.json')])
  t.equal(unkeyed.out, 'imported 1 token, skipped 0 already stored\n')
  t.equal(await status(ALICE), 401, 'imported without the key: refused by a gateway that has one')
  const keyed = await runTokens(['import', '-c', gw.gateway.config.file, '--drf', join(dir, 'dump.json')])
  t.equal(keyed.out, 'imported 1 token, skipped 0 already stored\n', 'importing again with the key replaces the unsealed record')
  t.equal(await status(ALICE), 200)
  t.equal((await runTokens(['import', '-c', gw.gateway.config.file, '--drf', join(dir, 'dump.json')])).out, 'imported 0 tokens, skipped 1 already stored\n')
})
