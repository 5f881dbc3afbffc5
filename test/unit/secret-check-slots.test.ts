import t from 'tap'
import { MAX_CONCURRENT_CHECKS, SecretCheckSlots } from '../../src/secrets/secret-check-slots.js'

t.test('check slots: one per name, a bounded number overall, refused rather than queued', async t => {
  const slots = new SecretCheckSlots(['oauth'])
  const first = slots.take('oauth', 'a')
  t.equal(first.ok, true)
  t.same(slots.take('oauth', 'a'), { ok: false, busy: 'name' })
  const others = Array.from({ length: MAX_CONCURRENT_CHECKS - 1 }, (_, i) => slots.take('oauth', `n${i}`))
  t.ok(others.every(s => s.ok))
  t.same(slots.take('oauth', 'z'), { ok: false, busy: 'overall' })
  for (const s of [first, ...others]) if (s.ok) { s.release(); s.release() }
  t.equal(slots.active('oauth'), 0)
  const again = slots.take('oauth', 'a')
  t.equal(again.ok, true, 'released slots are free again, and a double release frees nothing extra')
  if (again.ok) again.release()
})

t.test('each feature has a budget of its own: a full one leaves the others theirs', async t => {
  const slots = new SecretCheckSlots(['oauth', 'basic'], 4)
  t.same([...slots.budgets], [['oauth', 2], ['basic', 2]], 'the total is split between the features in use')
  const basic = [slots.take('basic', 'staff:x'), slots.take('basic', 'staff:y')]
  t.ok(basic.every(s => s.ok))
  t.same(slots.take('basic', 'staff:z'), { ok: false, busy: 'overall' }, 'Basic is full')
  const oauth = [slots.take('oauth', 'android'), slots.take('oauth', 'ios')]
  t.ok(oauth.every(s => s.ok), 'the token endpoint still has both of its slots')
  t.same(slots.take('oauth', 'x'), { ok: false, busy: 'overall' })
  t.equal(slots.take('oauth', 'staff:x').ok, false, 'names are per feature: the same text under oauth is a name of its own, refused here only for the budget')
  t.same(new SecretCheckSlots(['oauth', 'basic'], 1).budgets.get('basic'), 1, 'each feature has at least one slot')
  t.same(slots.take('nonesuch' as 'oauth', 'a'), { ok: false, busy: 'overall' }, 'a feature built without a budget has none')
})

t.test('two gateways\' slots share nothing', async t => {
  const a = new SecretCheckSlots(['oauth'], 1)
  const b = new SecretCheckSlots(['oauth'], 1)
  const held = a.take('oauth', 'android')
  t.equal(held.ok, true)
  t.same(a.take('oauth', 'ios'), { ok: false, busy: 'overall' })
  const other = b.take('oauth', 'android')
  t.equal(other.ok, true, 'the other instance has its slot and the name is free there')
  if (held.ok) held.release()
  if (other.ok) other.release()
})
