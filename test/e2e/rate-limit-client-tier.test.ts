import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { authzClientsYaml, startAuthzGateway } from '../helpers/authz.js'

t.test('a client\'s own rateLimit tier replaces the route\'s max and window', async t => {
  const gw = await startAuthzGateway(t, `  - match: /api/*
    upstream: orders
    policy: client
    client: [appKey]
    rateLimit: { max: 2, window: 1m, by: client }
`, { clients: authzClientsYaml({ android: '    rateLimit: { max: 4, window: 1m }' }) })
  const hit = async (key: string): Promise<number> => (await call(`${gw.url}/api/1`, { headers: { 'x-api-key': key } })).status

  const android: number[] = []
  for (let i = 0; i < 5; i++) android.push(await hit(KEYS.android))
  t.same(android, [200, 200, 200, 200, 429], 'android: its tier of 4')
  const over = await call(`${gw.url}/api/1`, { headers: { 'x-api-key': KEYS.android } })
  t.equal(over.headers['ratelimit-limit'], '4')

  const ios: number[] = []
  for (let i = 0; i < 3; i++) ios.push(await hit(KEYS.ios))
  t.same(ios, [200, 200, 429], 'ios has no tier: the route\'s 2')
})
