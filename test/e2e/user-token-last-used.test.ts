import t from 'tap'
import { execFileSync } from 'node:child_process'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { printedId, printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('a warm user token costs no Redis command; its last use is written at most once a minute', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
  const made = await runTokens(['new', '-c', gw.gateway.config.file, '--user', 'alice'])
  const token = printedToken(made.out)
  const cli = (...args: string[]): string => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' })
  const calls = (command: string): number => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(cli('INFO', 'commandstats'))?.[1] ?? 0)

  const before = Date.now()
  t.equal((await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })).status, 200, 'cold: read from Redis')
  cli('CONFIG', 'RESETSTAT')
  const hits = gw.gateway.cache.counters.localHits
  for (let i = 0; i < 50; i++) t.equal((await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })).status, 200)
  t.equal(gw.gateway.cache.counters.localHits - hits, 50, 'fifty requests, fifty local-tier hits')
  t.equal(calls('get'), 0, 'no GET: the warm path never asks Redis')
  t.equal(calls('hset'), 0, 'no write per request: the use was recorded on the first request, not again within the minute')
  const used = Number(cli('HGET', 'gatehouse:v1:user-api-token-used', printedId(made.out)).trim())
  t.ok(used >= before && used <= Date.now(), 'the first use was recorded')
})
