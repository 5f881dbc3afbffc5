import t from 'tap'
import { Balancer, connectFailure, failingStatus, mayRetry, type BalancerOptions, type Outcome } from '../../src/proxy/balancer.js'
import { manualClock } from '../helpers/clock.js'

const URLS = ['http://a:1', 'http://b:1', 'http://c:1']
/** `times` requests to target `i`, each ending with `outcome`. */
function trip (b: Balancer, i: number, outcome: Outcome, times = 1): void {
  for (let k = 0; k < times; k++) {
    b.start(i)
    b.finish(i, outcome)
  }
}

const options = (o: Partial<BalancerOptions> = {}): BalancerOptions => ({ mode: 'round-robin', failures: 3, cooldownMs: 10_000, clock: manualClock(), ...o })

t.test('round robin takes the targets in turn', async t => {
  const b = new Balancer(URLS, options())
  t.same(Array.from({ length: 7 }, () => b.pick()), [0, 1, 2, 0, 1, 2, 0])
})

t.test('least-pending picks the target with the fewest requests in flight, ties in turn', async t => {
  const b = new Balancer(URLS, options({ mode: 'least-pending' }))
  b.start(0)
  b.start(0)
  b.start(1)
  t.equal(b.pick(), 2)
  b.start(2)
  t.equal(b.pick(), 1, 'b and c have one each: in turn, after c')
  b.finish(0, 'ok')
  b.finish(0, 'ok')
  t.equal(b.pick(), 0)
})

t.test('passive health: failures in a row take a target out for the cooldown, then one request proves it', async t => {
  const clock = manualClock()
  const b = new Balancer(URLS, options({ clock }))
  trip(b, 1, 'failed', 2)
  t.ok(b.up(1), 'two failures: still in')
  trip(b, 1, 'ok')
  trip(b, 1, 'failed', 2)
  t.ok(b.up(1), 'a good answer resets the count')
  trip(b, 1, 'failed')
  t.notOk(b.up(1), 'three in a row: out')
  t.same(Array.from({ length: 4 }, () => b.pick()), [0, 2, 0, 2], 'it gets no request')
  clock.advance(9_999)
  t.notOk(b.up(1))
  clock.advance(1)
  t.ok(b.up(1), 'back after the cooldown')
  trip(b, 1, 'failed')
  t.notOk(b.up(1), 'one more failure takes it out again at once')
  t.same(b.targets[1], { url: 'http://b:1', pending: 0, streak: 4, outUntil: clock() + 10_000, checkedUp: true, requests: 7, failed: 6 })
  b.finish(1, undefined)
  t.equal(b.targets[1]?.pending, 0, 'pending never goes below 0')
})

t.test('with every target out, requests still go somewhere; /readyz hears of it', async t => {
  const b = new Balancer(URLS.slice(0, 2), options({ failures: 1 }))
  trip(b, 0, 'failed')
  trip(b, 1, 'failed')
  t.notOk(b.healthy())
  t.ok(b.pick() !== undefined, 'a target out beats a refusal')
  t.equal(b.pick(new Set([0, 1])), undefined, 'but never one tried already')
  t.equal(b.pick(new Set([0])), 1)
})

t.test('active checks: a failed check takes a target out until one passes', async t => {
  const b = new Balancer(URLS, options())
  b.checked(2, false)
  t.notOk(b.up(2))
  t.same(Array.from({ length: 4 }, () => b.pick()), [0, 1, 0, 1])
  b.checked(2, true)
  t.ok(b.up(2))
})

t.test('retries: idempotent, no body, no connection made, within retries and the deadline', async t => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
  const base = {
    method: 'GET',
    hasBody: false,
    sent: false,
    answered: false,
    error: refused,
    retryOn: new Set(['connect-failure'] as const),
    retried: 0,
    retries: 1,
    elapsedMs: 5,
    deadlineMs: 30_000
  }
  t.ok(mayRetry(base))
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) t.ok(mayRetry({ ...base, method }), method)
  for (const method of ['POST', 'PATCH']) t.notOk(mayRetry({ ...base, method }), `${method} is not idempotent`)
  t.notOk(mayRetry({ ...base, hasBody: true }), 'a body cannot be sent twice')
  t.notOk(mayRetry({ ...base, sent: true }), 'never once the target could have seen it')
  t.notOk(mayRetry({ ...base, error: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }), 'a reset may come after the target read the request')
  t.notOk(mayRetry({ ...base, error: Object.assign(new Error('headers'), { code: 'UND_ERR_HEADERS_TIMEOUT' }) }), 'nor a slow answer')
  t.notOk(mayRetry({ ...base, retryOn: new Set() }), 'retryOn: [] retries nothing')
  t.notOk(mayRetry({ ...base, retried: 1 }), 'bounded by retries')
  t.notOk(mayRetry({ ...base, elapsedMs: 30_000 }), 'bounded by the deadline')
  t.ok(connectFailure(Object.assign(new Error('t'), { code: 'UND_ERR_CONNECT_TIMEOUT' })))
  t.notOk(connectFailure(new Error('plain')))
  t.same([500, 502, 503, 504, 404].map(failingStatus), [false, true, true, true, false])
})
