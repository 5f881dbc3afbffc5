import t from 'tap'
import { mayRetry, type RetryCase } from '../../src/proxy/balancer.js'

const lost = (code: string): Error => Object.assign(new Error(code), { code })
const base: RetryCase = {
  method: 'GET',
  hasBody: false,
  sent: true,
  answered: false,
  error: lost('UND_ERR_SOCKET'),
  retryOn: new Set(['connect-failure', 'empty-response']),
  retried: 0,
  retries: 1,
  elapsedMs: 5,
  deadlineMs: 30_000
}

t.test('retryOn: empty-response retries a request whose connection was lost before any byte of an answer', async t => {
  for (const code of ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']) t.ok(mayRetry({ ...base, error: lost(code) }), code)
  t.notOk(mayRetry({ ...base, retryOn: new Set(['connect-failure']) }), 'not unless the upstream names it')
  t.notOk(mayRetry({ ...base, answered: true }), 'never once an answer began: part of it may have reached the client')
  t.notOk(mayRetry({ ...base, method: 'POST' }), 'never a request that is not idempotent')
  t.notOk(mayRetry({ ...base, hasBody: true }), 'never a request with a body')
  t.notOk(mayRetry({ ...base, error: lost('UND_ERR_HEADERS_TIMEOUT') }), 'a slow answer is no lost connection')
  t.notOk(mayRetry({ ...base, error: lost('UND_ERR_ABORTED') }), 'nor the client going away')
  t.notOk(mayRetry({ ...base, retried: 1 }), 'bounded by retries')
  t.notOk(mayRetry({ ...base, elapsedMs: 30_000 }), 'and by the deadline')
})
