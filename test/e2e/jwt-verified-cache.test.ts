import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('a repeated token costs a cache lookup, not a signature check; failures and expired tokens are never served from cache', async t => {
  let verifications = 0
  const subtle = globalThis.crypto.subtle
  const verify = subtle.verify.bind(subtle)
  subtle.verify = (async (...args: Parameters<typeof verify>) => { verifications++; return await verify(...args) }) as typeof subtle.verify
  t.teardown(() => { delete (subtle as unknown as Record<string, unknown>).verify })

  const upstream = await startEcho(t)
  const key = await makeKey('RS256', 'k1')
  const other = await makeKey('RS256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const clock = skewedClock()
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}"`), { clock })
  const get = async (token: string): Promise<{ status: number, detail: unknown }> => {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, detail: res.status === 200 ? undefined : res.json().detail }
  }

  const token = await sign(key)
  verifications = 0
  for (let i = 0; i < 20; i++) t.equal((await get(token)).status, 200)
  t.equal(verifications, 1, '20 requests with one token: one signature check')

  const burst = await sign(key, { jti: 'burst' })
  verifications = 0
  const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await get(burst)).status))
  t.same(statuses, Array(10).fill(200))
  t.equal(verifications, 1, '10 concurrent requests with a new token: one signature check (single-flight)')

  const forged = await sign(other)
  verifications = 0
  for (let i = 0; i < 3; i++) t.same(await get(forged), { status: 401, detail: 'bad signature' })
  t.equal(verifications, 3, 'a failed token is checked again each time: failures are never cached as success')

  const now = Math.floor(Date.now() / 1000)
  const shortLived = await sign(key, { jti: 'short', exp: now + 60 })
  t.equal((await get(shortLived)).status, 200)
  clock.advance((now + 60) * 1000 - clock() + 300)
  t.same(await get(shortLived), { status: 401, detail: 'token expired' }, 'the cached verification ends with the token')
})
