import t from 'tap'
import { Writable } from 'node:stream'
import { AttemptLimiter } from '../../src/tokens/attempt-limiter.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { createLogger } from '../../src/logger.js'
import { manualClock } from '../helpers/clock.js'

const quiet = createLogger('info', [], new Writable({ write (_c, _e, cb) { cb() } }))

function limiter (windowMs = 60_000): { limiter: AttemptLimiter, clock: ReturnType<typeof manualClock> } {
  const clock = manualClock()
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quiet, undefined, undefined, undefined, undefined, clock)
  return { limiter: new AttemptLimiter(cache, windowMs, clock), clock }
}

t.test('at max failures in the window further attempts wait, with the seconds left; the window ends on the clock', async t => {
  const { limiter: l, clock } = limiter()
  const limit = [{ key: 'client:a', max: 3 }]
  for (let i = 0; i < 3; i++) t.equal((await l.reserve(limit)).ok, true, `attempt ${i + 1}`)
  clock.advance(20_000)
  t.same(await l.reserve(limit), { ok: false, retryAfter: 40 })
  clock.advance(40_000)
  t.equal((await l.reserve(limit)).ok, true, 'a new window')
})

t.test('a success is released: it does not count as a failure', async t => {
  const { limiter: l } = limiter()
  const limit = [{ key: 'client:a', max: 2 }]
  for (let i = 0; i < 5; i++) {
    const r = await l.reserve(limit)
    t.equal(r.ok, true)
    if (r.ok) { await r.release(); await r.release() }
  }
})

t.test('refused by one limit, nothing is counted against the others', async t => {
  const { limiter: l } = limiter()
  const full = { key: 'address:x', max: 1 }
  const other = { key: 'client:a', max: 2 }
  t.equal((await l.reserve([full])).ok, true)
  t.equal((await l.reserve([other, full])).ok, false)
  t.equal((await l.reserve([other])).ok, true)
  t.equal((await l.reserve([other])).ok, true, 'the refused attempt was taken back from client:a')
  t.equal((await l.reserve([other])).ok, false)
})

t.test('concurrent attempts on one key cannot all pass a check made before any failed', async t => {
  const { limiter: l } = limiter()
  const results = await Promise.all(Array.from({ length: 10 }, async () => (await l.reserve([{ key: 'k', max: 3 }])).ok))
  t.equal(results.filter(Boolean).length, 3)
})
