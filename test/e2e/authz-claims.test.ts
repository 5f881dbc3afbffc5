import t from 'tap'
import { call } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { startAuthzGateway } from '../helpers/authz.js'
import { startCountingEcho } from '../helpers/upstream.js'

t.test('require.claims: exact value, one-of list, and array claims that contain a listed value', async t => {
  const upstream = await startCountingEcho(t)
  const gw = await startAuthzGateway(t, `  - match: /admin/*
    upstream: orders
    policy: user
    user: [staff]
    require: { claims: { role: admin } }
  - match: /staff/*
    upstream: orders
    policy: user
    user: [staff]
    require: { claims: { role: [admin, staff] } }
  - match: /ops/*
    upstream: orders
    policy: user
    user: [staff]
    require: { claims: { groups: [ops, sre], role: admin } }
`, { upstream: upstream.url })
  const cases: Array<[path: string, user: 'alice' | 'bob' | 'carol', status: number, why: string]> = [
    ['/admin/x', 'alice', 200, 'exact: role admin'],
    ['/admin/x', 'bob', 403, 'exact: role staff is not admin'],
    ['/staff/x', 'alice', 200, 'one-of: admin is listed'],
    ['/staff/x', 'carol', 200, 'one-of: staff is listed'],
    ['/ops/x', 'alice', 200, 'array claim [ops, eng] contains ops, and role admin'],
    ['/ops/x', 'bob', 403, 'array claim [sales] contains none of ops, sre']
  ]
  for (const [path, user, status, why] of cases) {
    const reached = upstream.requests
    const res = await call(`${gw.url}${path}`, { headers: { authorization: basic(user) } })
    t.equal(res.status, status, `${path} as ${user}: ${why}`)
    t.equal(upstream.requests, reached + (status === 200 ? 1 : 0), `${path} as ${user}: the upstream is reached only when allowed`)
    if (status === 403) {
      t.equal(res.json().code, 'forbidden')
      t.equal(res.headers['www-authenticate'], undefined, 'a claim denial offers no challenge')
    }
  }
  const denied = await call(`${gw.url}/ops/x`, { headers: { authorization: basic('bob') } })
  t.equal(denied.status, 403)
  t.equal(denied.json().code, 'forbidden')
  t.equal(denied.json().detail, 'claim "groups" does not have an allowed value', 'the detail names the claim, not its value')
})
