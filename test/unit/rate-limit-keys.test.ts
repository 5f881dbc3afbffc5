import t from 'tap'
import { createDecisionCounters } from '../../src/telemetry/decision-counters.js'
import { effectiveLimit, limitKey, limitScope, onLimitStoreError, rateLimited } from '../../src/rate-limit/rate-limit.js'
import type { Identity } from '../../src/policy/authenticate.js'
import type { ClientRecord, RouteConfig } from '../../src/config/types.js'
import { GatehouseError } from '../../src/errors.js'
import { clientRecord } from '../helpers/client-record.js'

const record = (id: string, rateLimit?: { max: number, windowMs: number }): ClientRecord => clientRecord(id, { rateLimit })
const identity = (clientId?: string, userId?: string, rateLimit?: { max: number, windowMs: number }): Identity => ({
  client: clientId === undefined ? undefined : { kind: 'client', id: clientId, client: record(clientId, rateLimit), scopes: [], authenticator: 'k' },
  user: userId === undefined ? undefined : { kind: 'user', id: userId, scopes: [], claims: {}, tokenClientId: undefined, authenticator: 'u' },
  authenticators: []
})

t.test('a route\'s counters are keyed by its pattern, and by its methods when another route shares the pattern', async t => {
  const routes: Array<Pick<RouteConfig, 'index' | 'match' | 'methods'>> = [
    { index: 0, match: '/a/*', methods: ['GET'] },
    { index: 1, match: '/a/*', methods: ['POST', 'PUT'] },
    { index: 2, match: '/b', methods: ['GET'] }
  ]
  t.equal(limitScope(routes[0]!, routes), '/a/* GET')
  t.equal(limitScope(routes[1]!, routes), '/a/* POST,PUT')
  t.equal(limitScope(routes[2]!, routes), '/b')
})

t.test('who a request is counted as, for each `by`', async t => {
  const both = identity('android', 'alice')
  t.equal(limitKey('/r', 'client', both, '10.0.0.1'), '/r|client:android')
  t.equal(limitKey('/r', 'user', both, '10.0.0.1'), '/r|user:alice')
  t.equal(limitKey('/r', 'client+user', both, '10.0.0.1'), '/r|client:android|user:alice')
  t.equal(limitKey('/r', 'ip', both, '10.0.0.1'), '/r|ip:10.0.0.1', 'by ip ignores the principals')
})

t.test('a principal the request does not carry is replaced by the address: anonymous callers share no bucket', async t => {
  t.equal(limitKey('/r', 'client', undefined, '10.0.0.1'), '/r|ip:10.0.0.1')
  t.equal(limitKey('/r', 'user', identity('android'), '10.0.0.2'), '/r|ip:10.0.0.2')
  t.equal(limitKey('/r', 'client+user', identity(undefined, 'alice'), '::1'), '/r|ip:::1|user:alice')
  t.not(limitKey('/r', 'client', undefined, '10.0.0.1'), limitKey('/r', 'client', undefined, '10.0.0.2'))
})

t.test('a client\'s own tier replaces the route\'s limit', async t => {
  const routeLimit = { max: 10, windowMs: 60_000, by: 'client' as const, onRedisError: 'open' as const }
  t.same(effectiveLimit(routeLimit, identity('android')), routeLimit)
  t.same(effectiveLimit(routeLimit, undefined), routeLimit)
  t.same(effectiveLimit(routeLimit, identity('partner', undefined, { max: 1000, windowMs: 1000 })), { max: 1000, windowMs: 1000 })
})

t.test('the 429 carries Retry-After and RateLimit headers in whole seconds, at least 1', async t => {
  const err = rateLimited(5, 1500)
  t.equal(err.code, 'rate_limited')
  t.equal(err.status, 429)
  t.same(err.headers, { 'retry-after': '2', 'ratelimit-limit': '5', 'ratelimit-remaining': '0', 'ratelimit-reset': '2' })
  t.equal(rateLimited(5, 0).headers?.['retry-after'], '1')
})

t.test('a failing counter store: open lets the request through, closed refuses with 503; both are logged', async t => {
  const logged: string[] = []
  const counters = createDecisionCounters()
  const logger = { warn: (obj: object) => { logged.push((obj as { outcome: string }).outcome) } }
  const route = (onRedisError: 'open' | 'closed'): Parameters<typeof onLimitStoreError>[0] => ({
    match: '/r',
    rateLimit: { max: 1, windowMs: 1000, by: 'ip', onRedisError }
  })
  t.doesNotThrow(() => onLimitStoreError(route('open'), new Error('down'), logger, counters))
  let refused: unknown
  try { onLimitStoreError(route('closed'), new Error('down'), logger, counters) } catch (err) { refused = err }
  t.ok(refused instanceof GatehouseError)
  t.equal((refused as GatehouseError).code, 'auth_unavailable')
  t.equal((refused as GatehouseError).headers?.['retry-after'], '5')
  t.same(logged, ['allowed', 'refused'])
})
