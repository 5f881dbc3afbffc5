import t from 'tap'
import { parseUsersFile } from '../../src/auth/basic.js'
import { hashSecret, parseSecretHash, verifySecret } from '../../src/secrets/client-secret.js'

t.test('a users-file line without claims: the whole rest of the line is the hash, and the user has no scopes', async t => {
  const hash = await hashSecret('bob-pw', { N: 1024, r: 8, p: 1 })
  const bob = parseUsersFile(`bob:${hash}\n`, 'users.txt').get('bob')
  if (bob === undefined) throw new Error('bob was not read')
  t.same(bob.hash, parseSecretHash(hash))
  t.equal(await verifySecret('bob-pw', bob.hash), true)
  t.same(bob.scopes, [])
  t.same(bob.claims, { sub: 'bob' })
})
