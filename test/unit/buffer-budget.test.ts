import t from 'tap'
import { BufferBudget } from '../../src/proxy/buffer-budget.js'

t.test('a reservation that does not fit is refused whole and holds nothing', async t => {
  const budget = new BufferBudget(1000)
  t.ok(budget.reserve(600))
  t.notOk(budget.reserve(401), 'over the cap by one byte')
  t.equal(budget.used, 600, 'the refused reservation held nothing')
  t.ok(budget.reserve(400), 'up to the cap exactly')
  t.ok(budget.spent)
  budget.release(1000)
  t.equal(budget.used, 0)
  t.notOk(budget.spent)
})

t.test('counted bytes may pass the cap; then the budget is spent and reservations are refused', async t => {
  const budget = new BufferBudget(100)
  budget.count(150)
  t.ok(budget.spent)
  t.notOk(budget.reserve(1))
  budget.release(60)
  t.ok(budget.reserve(10))
  t.equal(budget.used, 100)
})

t.test('a resize applies to new reservations; what is held stays held', async t => {
  const budget = new BufferBudget(100)
  t.ok(budget.reserve(80))
  budget.resize(50)
  t.equal(budget.used, 80)
  t.notOk(budget.reserve(1))
  budget.release(80)
  t.ok(budget.reserve(50))
})

t.test('generated sequences: reservations never pass the cap, and releasing all that was held leaves 0', async t => {
  // A small deterministic generator: the same sequences on every run, many of them.
  let seed = 0x9e3779b9
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return seed % n
  }
  const failures: string[] = []
  for (let run = 0; run < 200; run++) {
    const max = 1 + next(10_000)
    const budget = new BufferBudget(max)
    const held: number[] = []
    for (let step = 0; step < 100; step++) {
      const op = next(3)
      if (op === 0) {
        const bytes = next(max + 10)
        const before = budget.used
        const ok = budget.reserve(bytes)
        if (ok !== (before + bytes <= max)) failures.push(`run ${run}: reserve(${bytes}) at ${before} of ${max} answered ${ok}`)
        if (ok) held.push(bytes)
      } else if (op === 1 && held.length > 0) {
        budget.release(held.splice(next(held.length), 1)[0] as number)
      } else if (!budget.spent) {
        const bytes = next(100)
        budget.count(bytes)
        held.push(bytes)
      }
      const sum = held.reduce((a, b) => a + b, 0)
      if (budget.used !== sum) failures.push(`run ${run} step ${step}: used ${budget.used}, held ${sum}`)
    }
  }
  t.same(failures.slice(0, 5), [], 'used is always the sum of what is held; reserve answers whether it fits')
})
