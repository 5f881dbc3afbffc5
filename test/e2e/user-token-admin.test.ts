import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { ADMIN_TOKEN, userTokenYaml } from '../helpers/api-tokens.js'

interface Listed { id: string, user: string, scopes: string[], client: string | null, created: number, expires: number | null, lastUsed: number | null }

t.test('the admin listener makes, lists and revokes user tokens, behind server.adminToken', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
  const admin = gw.adminUrl as string
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const json = { ...auth, 'content-type': 'application/json' }
  const me = async (token: string): Promise<number> => (await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })).status

  const anonymous = await call(`${admin}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice' }) })
  t.equal(anonymous.status, 401, 'no admin token, no user token')
  t.equal((await call(`${admin}/tokens`, { headers: { authorization: 'Bearer wrong-admin-token-000000' } })).status, 401)

  const made = await call(`${admin}/tokens`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ user: 'alice', scopes: ['orders:read'], expires: '30d', client: 'android' })
  })
  t.equal(made.status, 201)
  t.equal(made.headers['cache-control'], 'no-store')
  const alice = made.json<Listed & { token: string }>()
  t.match(alice, { user: 'alice', scopes: ['orders:read'], client: 'android', id: /^[0-9a-f]{16}$/ })
  t.ok(alice.expires !== null && Math.abs(alice.expires - Date.now() - 30 * 86_400_000) < 60_000, 'expires in 30 days')
  t.equal(await me(alice.token), 200)
  const bob = (await call(`${admin}/tokens`, { method: 'POST', headers: json, body: JSON.stringify({ user: 'bob' }) })).json<{ token: string }>().token

  const bad = await call(`${admin}/tokens`, { method: 'POST', headers: json, body: JSON.stringify({ user: 'carol', client: 'nosuch' }) })
  t.equal(bad.status, 400)
  t.match(bad.json(), { code: 'bad_request', detail: /"nosuch" is not one of the config's clients/ })
  t.equal((await call(`${admin}/tokens`, { method: 'POST', headers: json, body: JSON.stringify({ scopes: [] }) })).status, 400, 'no user')

  const all = await call(`${admin}/tokens`, { headers: auth })
  t.equal(all.status, 200)
  const tokens = all.json<{ tokens: Listed[] }>().tokens
  t.same(tokens.map(x => x.user), ['alice', 'bob'])
  t.notOk(all.text.includes(alice.token) || all.text.includes(bob), 'never a token in a listing')
  t.ok(typeof tokens[0]?.lastUsed === 'number', 'alice\'s token was used')
  t.same((await call(`${admin}/tokens?user=bob`, { headers: auth })).json<{ tokens: Listed[] }>().tokens.map(x => x.user), ['bob'])

  t.same((await call(`${admin}/tokens/${alice.id}`, { method: 'DELETE', headers: auth })).json(), { revoked: 1 })
  t.equal(await me(alice.token), 401, 'revoked')
  t.equal((await call(`${admin}/tokens/${alice.id}`, { method: 'DELETE', headers: auth })).status, 404, 'gone')
  t.same((await call(`${admin}/tokens?user=bob`, { method: 'DELETE', headers: auth })).json(), { revoked: 1 })
  t.equal(await me(bob), 401)
})

t.test('without server.adminToken the admin listener offers no token operations', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url).replace(`  adminToken: ${ADMIN_TOKEN}\n`, ''))
  t.equal(
    (
      await call(`${gw.adminUrl as string}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'alice' })
      })
    ).status,
    404
  )
  t.equal((await call(`${gw.adminUrl as string}/tokens`)).status, 404)
})
