import t from 'tap'
import { spawnSync } from 'node:child_process'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { scrape } from '../helpers/metrics.js'
import { AS_CLIENTS, introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'
import { cacheKey } from '../../src/cache/cache.js'
import { introspectionCacheCredential, introspectionPartition } from '../../src/auth/introspection.js'

const INTEGRITY_KEY = 'cache-integrity-key-0123456789abcdef0123456789'

function redisCli (redis: TestRedis, ...args: string[]): string {
  return spawnSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).stdout.trim()
}

t.test('cache.integrityKey: a value written to Redis by anyone else is ignored, counted and logged', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(
    t,
    introspectionYaml(as, upstream, { redis: redis.url }).replace('cache:\n', `cache:\n  integrityKey: "${INTEGRITY_KEY}"\n`)
  )
  const partition = introspectionPartition({
    type: 'introspection',
    endpoint: as.introspectionEndpoint,
    clientId: AS_CLIENTS.basic.id,
    clientSecret: AS_CLIENTS.basic.secret
  })
  const keyOf = (token: string): string => cacheKey('introspection', introspectionCacheCredential(partition, token))
  const get = async (token: string): Promise<{ status: number, user: unknown }> => {
    const res = await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, user: res.status === 200 ? res.json<Echo>().headers['remote-user'] : undefined }
  }

  const admin = await as.mint({ sub: 'superadmin' })
  t.same(await get(admin), { status: 200, user: 'superadmin' }, 'a real token, introspected and cached in Redis (sealed)')
  t.match(redisCli(redis, 'GET', keyOf(admin)), /^[A-Za-z0-9_-]+\.\{/, 'the Redis value carries its HMAC')

  // Someone with write access to Redis copies superadmin's entry under a token the AS never issued.
  const forged = 'forged-token-the-authorization-server-never-issued'
  redisCli(redis, 'SET', keyOf(forged), redisCli(redis, 'GET', keyOf(admin)), 'PX', '60000')
  t.equal((await get(forged)).status, 401, 'a sealed value moved under another key fails the check: the AS is asked, and says no')
  // Or writes an unsealed entry of its own.
  const plain = 'another-forged-token'
  redisCli(redis, 'SET', keyOf(plain), JSON.stringify({ v: { active: true, value: { id: 'superadmin', scopes: [] } }, e: Date.now() + 60_000 }), 'PX', '60000')
  t.equal((await get(plain)).status, 401, 'an unsealed value is never trusted')

  t.ok(((await scrape(gw.adminUrl as string)).value('gatehouse_cache_integrity_failures_total') ?? 0) >= 2, 'each is counted')
  t.ok(gw.logs.some(l => l.msg === 'redis cache value failed its integrity check: ignored'), 'and logged')
})

t.test('without cache.integrityKey the gateway warns at start that Redis is a trust root', async t => {
  const as = await startAuthServer(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, introspectionYaml(as, await startEcho(t), { redis: redis.url }))
  t.ok(gw.logs.some(l => l.level === 40 && String(l.msg).startsWith('cache.integrityKey is not set')), 'warned')
})
