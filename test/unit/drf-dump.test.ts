import t from 'tap'
import { readDrfDump } from '../../src/tokens/drf-import.js'

const user = (pk: number, username: string, isActive = true): unknown => ({
  model: 'auth.user',
  pk,
  fields: { password: 'pbkdf2_sha256$...', username, is_active: isActive }
})
const token = (key: string, userRef: unknown, created = '2024-05-01T10:00:00.000Z'): unknown => ({
  model: 'authtoken.token',
  pk: key,
  fields: { user: userRef, created }
})

t.test('dumpdata auth.user authtoken.token: each token with its user\'s name and creation time', async t => {
  const dump = readDrfDump([user(1, 'alice'), user(2, 'bob'), token('a'.repeat(40), 1), token('b'.repeat(40), 2, '2025-01-02T03:04:05Z')])
  t.same(dump, {
    tokens: [
      { key: 'a'.repeat(40), user: 'alice', created: Date.parse('2024-05-01T10:00:00.000Z') },
      { key: 'b'.repeat(40), user: 'bob', created: Date.parse('2025-01-02T03:04:05Z') }
    ],
    orphans: 0,
    inactive: 0
  })
})

t.test('--natural-foreign names the user in the token itself', async t => {
  t.same(readDrfDump([token('c'.repeat(40), ['carol'])]).tokens.map(x => x.user), ['carol'])
})

t.test('a token whose user is not in the dump, or is inactive, is not carried over', async t => {
  const dump = readDrfDump([user(1, 'alice', false), token('a'.repeat(40), 1), token('b'.repeat(40), 7)])
  t.same(dump.tokens, [])
  t.equal(dump.orphans, 1)
  t.equal(dump.inactive, 1)
})

t.test('what is not a dump is refused', async t => {
  t.throws(() => readDrfDump({ model: 'auth.user' }), /expected a JSON list/)
  t.throws(() => readDrfDump([{ pk: 1 }]), /no model/)
  t.throws(() => readDrfDump([{ model: 'authtoken.token', pk: 3, fields: { user: 1 } }]), /has no key/)
})
