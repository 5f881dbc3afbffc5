import t from 'tap'
import { InFlightLimitReached, inFlightLimit } from '../../src/auth/in-flight-limit.js'

t.test('at most max calls run at once; the next is refused without being called, never queued', async t => {
  const limit = inFlightLimit(2)
  const gates: Array<() => void> = []
  const held = (): Promise<string> => new Promise(resolve => gates.push(() => resolve('done')))
  const first = limit.run(held)
  const second = limit.run(held)
  t.equal(limit.active, 2)
  let called = false
  const refused = await limit.run(async () => { called = true }).then(() => undefined, (err: unknown) => err)
  t.ok(refused instanceof InFlightLimitReached && refused.max === 2, 'refused with InFlightLimitReached')
  t.notOk(called, 'the refused call never ran')
  for (const open of gates) open()
  t.same(await Promise.all([first, second]), ['done', 'done'])
  t.equal(limit.active, 0)
  await t.rejects(limit.run(async () => { throw new Error('origin down') }), { message: 'origin down' })
  t.equal(limit.active, 0, 'a failed call frees its place too')
  t.equal(await limit.run(async () => 'again'), 'again')
})
