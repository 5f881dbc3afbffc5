import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'undici'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'
import { until } from '../helpers/until.js'

const MAX_IN_FLIGHT = 4
const FLOOD = 24

t.test('a flood of unseen bearer tokens makes at most maxInFlight introspection calls at once; the rest are 503', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, introspectionYaml(as, upstream, { auth: `, maxInFlight: ${MAX_IN_FLIGHT}`, timeout: '60s' }))
  const agent = new Agent({ connections: FLOOD + 8 })
  t.teardown(() => agent.close())
  const get = async (token: string): Promise<{ status: number, code?: string, retryAfter?: string | string[] }> => {
    const res = await request(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent })
    const body = await res.body.text()
    const code = res.statusCode === 200 ? undefined : (JSON.parse(body) as { code: string }).code
    return { status: res.statusCode, code, retryAfter: res.headers['retry-after'] }
  }

  const valid = await as.mint({ sub: 'alice' })
  t.equal((await get(valid)).status, 200, 'a valid token, introspected and cached')

  let release!: () => void
  as.behaviour = { kind: 'held', until: new Promise(resolve => { release = resolve }) }
  t.teardown(() => release())
  // Random tokens, each unseen: without a bound, each would be one more call held open at the server.
  const answered: Array<Awaited<ReturnType<typeof get>>> = []
  const flood = Array.from({ length: FLOOD }, async () => {
    const answer = await get(randomBytes(24).toString('base64url'))
    answered.push(answer)
    return answer
  })
  await until(`${MAX_IN_FLIGHT} calls held at the server`, () => as.inFlight >= MAX_IN_FLIGHT)
  await until('the calls beyond the bound answered', () => answered.length >= FLOOD - MAX_IN_FLIGHT)
  t.equal(as.inFlight, MAX_IN_FLIGHT, `the server has ${MAX_IN_FLIGHT} calls, not ${FLOOD}`)
  const refused = (a: Awaited<ReturnType<typeof get>>): boolean => a.status === 503 && a.code === 'auth_unavailable' && Number(a.retryAfter) >= 1
  t.ok(answered.every(refused), 'the others: 503 auth_unavailable with Retry-After, without a call')

  t.equal((await get(valid)).status, 200, 'the cached valid token still works while the bound is full')
  const fresh = await get(await as.mint({ sub: 'bob' }))
  t.equal(fresh.status, 503, 'an unseen token, even a valid one, is refused while it is full (fail closed)')

  release()
  const all = await Promise.all(flood)
  t.equal(all.filter(a => a.status === 401).length, MAX_IN_FLIGHT, 'the held calls complete: unknown tokens, 401')
  t.equal(as.peak, MAX_IN_FLIGHT, `never more than ${MAX_IN_FLIGHT} at once`)
  as.behaviour = { kind: 'normal' }
  t.equal((await get(await as.mint({ sub: 'carol' }))).status, 200, 'once calls finish, new tokens are introspected again')
})
