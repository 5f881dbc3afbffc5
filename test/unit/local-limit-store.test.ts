import t from 'tap'
import { localLimitStore } from '../../src/rate-limit/local-limit-store.js'
import { manualClock } from '../helpers/clock.js'

const LIMITS = { maxEntries: 100, maxSize: 1024 * 1024 }

function counter (clock = manualClock()): {
  incr: (key: string, windowMs: number) => Promise<{ current: number, ttlMs: number }>
  read: (key: string, windowMs: number) => Promise<{ current: number, ttlMs: number }>
  clock: typeof clock
} {
  const store = localLimitStore(LIMITS, clock)
  return { incr: store.incr, read: store.read, clock }
}

t.test('fixed windows on the clock: counts within a window, starts again after it', async t => {
  const { incr, read, clock } = counter()
  t.same(await incr('/r|ip:1', 1000), { current: 1, ttlMs: 1000 })
  clock.advance(300)
  t.same(await incr('/r|ip:1', 1000), { current: 2, ttlMs: 700 })
  t.same(await read('/r|ip:1', 1000), { current: 2, ttlMs: 700 }, 'read does not count')
  clock.advance(700)
  t.same(await read('/r|ip:1', 1000), { current: 0, ttlMs: 0 }, 'the window is over')
  t.same(await incr('/r|ip:1', 1000), { current: 1, ttlMs: 1000 }, 'a new window')
})

t.test('keys are counted apart; an unknown key reads as zero', async t => {
  const { incr, read } = counter()
  await incr('/r|ip:1', 1000)
  await incr('/r|ip:1', 1000)
  t.same(await incr('/r|ip:2', 1000), { current: 1, ttlMs: 1000 })
  t.same(await read('/other|ip:1', 1000), { current: 0, ttlMs: 0 })
})

t.test('the least recently counted caller is forgotten first when the bound is reached', async t => {
  const store = localLimitStore({ maxEntries: 2, maxSize: 1024 * 1024 }, manualClock())
  const incr = async (key: string): Promise<number> => (await store.incr(key, 1000)).current
  await incr('a'); await incr('a'); await incr('b'); await incr('c')
  t.equal(await incr('a'), 1, 'a was pushed out: its count starts again')
})
