import t from 'tap'
import { localLimitStore } from '../../src/cache/local-limit-store.js'
import { manualClock } from '../helpers/clock.js'

type Result = { current: number, ttl: number }
const LIMITS = { maxEntries: 100, maxSize: 1024 * 1024 }

function counter (clock = manualClock()): { incr: (key: string, windowMs: number) => Result, read: (key: string, windowMs: number) => Result, clock: typeof clock } {
  const Store = localLimitStore(LIMITS, clock)
  const store = new Store()
  const call = (fn: typeof store.incr) => (key: string, windowMs: number): Result => {
    let out: Result | undefined
    fn.call(store, key, (err, result) => { if (err !== null) throw err; out = result }, windowMs, 0)
    return out as Result
  }
  return { incr: call(store.incr), read: call(store.read), clock }
}

t.test('fixed windows on the clock: counts within a window, starts again after it', async t => {
  const { incr, read, clock } = counter()
  t.same(incr('/r|ip:1', 1000), { current: 1, ttl: 1000 })
  clock.advance(300)
  t.same(incr('/r|ip:1', 1000), { current: 2, ttl: 700 })
  t.same(read('/r|ip:1', 1000), { current: 2, ttl: 700 }, 'read does not count')
  clock.advance(700)
  t.same(read('/r|ip:1', 1000), { current: 0, ttl: 0 }, 'the window is over')
  t.same(incr('/r|ip:1', 1000), { current: 1, ttl: 1000 }, 'a new window')
})

t.test('keys are counted apart; an unknown key reads as zero', async t => {
  const { incr, read } = counter()
  incr('/r|ip:1', 1000)
  incr('/r|ip:1', 1000)
  t.same(incr('/r|ip:2', 1000), { current: 1, ttl: 1000 })
  t.same(read('/other|ip:1', 1000), { current: 0, ttl: 0 })
})

t.test('the least recently counted caller is forgotten first when the bound is reached', async t => {
  const Store = localLimitStore({ maxEntries: 2, maxSize: 1024 * 1024 }, manualClock())
  const store = new Store()
  const incr = (key: string): number => { let n = 0; store.incr(key, (_e, r) => { n = r?.current ?? 0 }, 1000, 0); return n }
  incr('a'); incr('a'); incr('b'); incr('c')
  t.equal(incr('a'), 1, 'a was pushed out: its count starts again')
  t.equal(store.child({}), store)
})
