import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'
import { scrape } from '../helpers/metrics.js'

const MAX_SIZE = 64 * 1024

t.test('cache.local.maxSize bounds the in-process tier by bytes, however many distinct tokens arrive', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}"`, 'cache: { local: { maxSize: 64KiB } }'))
  const local = async (): Promise<{ bytes: number, entries: number }> => {
    const m = await scrape(gw.adminUrl as string)
    return { bytes: m.value('gatehouse_cache_local_bytes') ?? NaN, entries: m.value('gatehouse_cache_local_entries') ?? NaN }
  }

  // Each token a new user, a few hundred bytes of cache each: 600 of them are several times the bound.
  let peak = 0
  let last = ''
  for (let i = 0; i < 600; i++) {
    last = await sign(key, { sub: `user-${i}`, jti: `t-${i}`, scope: 'orders:read orders:write' })
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${last}` } })
    if (res.status !== 200) t.fail(`token ${i}: ${res.status}`)
    if (i % 50 === 49) peak = Math.max(peak, (await local()).bytes)
  }
  const end = await local()
  t.ok(end.bytes > MAX_SIZE / 2, `the tier is in use: ${end.bytes} bytes in ${end.entries} entries`)
  t.ok(peak <= MAX_SIZE, `never over 64KiB: peak ${peak} bytes`)
  t.ok(end.bytes <= MAX_SIZE, `still under it at the end: ${end.bytes} bytes`)
  t.ok(end.entries < 600, `the least recently used entries went: ${end.entries} of 600 kept (maxEntries is 100000)`)

  const before = await scrape(gw.adminUrl as string)
  t.equal((await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${last}` } })).status, 200, 'the most recent token again')
  const after = await scrape(gw.adminUrl as string)
  const hits = (m: typeof before): number => m.value('gatehouse_cache_lookups_total', { tier: 'local', result: 'hit' }) ?? 0
  t.equal(hits(after) - hits(before), 1, 'the most recent token is still served from the local tier')
})
