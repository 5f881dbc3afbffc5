import t from 'tap'
import { KEYS } from '../helpers/gateway.js'
import { call, type Response } from '../helpers/http.js'
import { basic } from '../helpers/basic-users.js'
import { startAuthzGateway } from '../helpers/authz.js'

const route = (path: string, by: string): string => `  - match: ${path}
    upstream: orders
    policy: public
    client: [appKey]
    user: [staff]
    rateLimit: { max: 2, window: 1m, by: ${by} }
`

t.test('rate limits count per client, per user, per ip or per client+user, as the route says', async t => {
  const gw = await startAuthzGateway(t, route('/c/*', 'client') + route('/u/*', 'user') + route('/i/*', 'ip') + route('/cu/*', 'client+user'),
    { head: '  trustProxy: true\n' })
  const get = async (path: string, headers: Record<string, string>): Promise<Response> => await call(`${gw.url}${path}`, { headers })
  const android = { 'x-api-key': KEYS.android }
  const ios = { 'x-api-key': KEYS.ios }

  t.test('by client', async t => {
    const first = await get('/c/1', { ...android, authorization: basic('alice') })
    t.equal(first.status, 200)
    t.equal(first.headers['ratelimit-limit'], '2')
    t.equal(first.headers['ratelimit-remaining'], '1')
    t.equal((await get('/c/1', { ...android, authorization: basic('bob') })).status, 200)
    const over = await get('/c', { ...android, authorization: basic('carol') })
    t.equal(over.status, 429, 'a third call from android, whoever the user and whichever URL of the pattern, is over')
    t.equal(over.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(over.json().code, 'rate_limited')
    t.equal(over.headers['ratelimit-limit'], '2')
    t.equal(over.headers['ratelimit-remaining'], '0')
    t.match(over.headers['retry-after'], /^[1-9][0-9]*$/)
    t.ok(Number(over.headers['retry-after']) <= 60, 'Retry-After is within the window')
    t.equal(over.headers['ratelimit-reset'], over.headers['retry-after'])
    t.equal((await get('/c/1', ios)).status, 200, 'ios has its own count')
  })

  t.test('by user', async t => {
    t.equal((await get('/u/1', { ...android, authorization: basic('alice') })).status, 200)
    t.equal((await get('/u/1', { ...ios, authorization: basic('alice') })).status, 200)
    t.equal((await get('/u/1', { authorization: basic('alice') })).status, 429, 'alice is over, whichever app she uses')
    t.equal((await get('/u/1', { ...android, authorization: basic('bob') })).status, 200, 'bob has his own count')
  })

  t.test('by ip', async t => {
    const from = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip })
    t.equal((await get('/i/1', from('10.0.0.1'))).status, 200)
    t.equal((await get('/i/1', { ...from('10.0.0.1'), ...android })).status, 200)
    t.equal((await get('/i/1', { ...from('10.0.0.1'), authorization: basic('alice') })).status, 429, 'the address is over, whoever calls')
    t.equal((await get('/i/1', from('10.0.0.2'))).status, 200, 'another address has its own count')
  })

  t.test('by client+user', async t => {
    t.equal((await get('/cu/1', { ...android, authorization: basic('alice') })).status, 200)
    t.equal((await get('/cu/1', { ...android, authorization: basic('alice') })).status, 200)
    t.equal((await get('/cu/1', { ...android, authorization: basic('alice') })).status, 429, 'the pair is over')
    t.equal((await get('/cu/1', { ...ios, authorization: basic('alice') })).status, 200, 'alice through ios is another pair')
    t.equal((await get('/cu/1', { ...android, authorization: basic('bob') })).status, 200, 'bob through android is another pair')
  })
})
