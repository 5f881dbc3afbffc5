import t from 'tap'
import { decoyHash, hashSecret, newClientSecret, parseSecretHash, verifySecret } from '../../src/secrets/client-secret.js'

/** Cheap scrypt parameters: the format and the comparison are under test here, not the cost. */
const CHEAP = { N: 1024, r: 8, p: 1 }

t.test('a secret hash round-trips through its text form and checks only its own secret', async t => {
  const text = await hashSecret('s3cret', CHEAP)
  t.match(text, /^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9_-]{16,}\$[A-Za-z0-9_-]{22,}$/)
  const parsed = parseSecretHash(text)
  t.ok(parsed)
  t.equal(await verifySecret('s3cret', parsed!), true)
  t.equal(await verifySecret('s3cret ', parsed!), false)
  t.equal(await verifySecret('caf\u00e9', parseSecretHash(await hashSecret('cafe\u0301', CHEAP))!), true, 'the same text however it was composed (NFC)')
  t.not(await hashSecret('s3cret', CHEAP), text, 'salted: the same secret hashes differently')
})

t.test('texts that are not a secret hash', async t => {
  for (const bad of ['', 'bcrypt$2b$10$abc', 'scrypt$N=1024,r=8,p=1$short$short', `scrypt$N=1000,r=8,p=1$${'a'.repeat(22)}$${'b'.repeat(43)}`]) {
    t.equal(parseSecretHash(bad), undefined, bad)
  }
  t.equal(await verifySecret('anything', decoyHash({ N: 1024, r: 8, p: 1 })), false, 'the decoy matches nothing')
})

t.test('new client secrets are long, random and recognisable', async t => {
  const a = newClientSecret()
  t.match(a, /^ghs_[A-Za-z0-9_-]{43}$/)
  t.not(a, newClientSecret())
})
