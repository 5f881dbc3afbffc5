import t from 'tap'
import { parseUsersFile } from '../../src/auth/basic.js'
import { hashSecret } from '../../src/secrets/client-secret.js'

const COST = { N: 1024, r: 8, p: 1 }

t.test('a users file: comments and blank lines skipped, claims after the hash, scopes and the token client read from them', async t => {
  const hash = await hashSecret('pw', COST)
  const users = parseUsersFile(
    [
      '# users',
      '',
      `alice:${hash}:{"scope":" a  b ","azp":"web","client_id":"cli","sub":"mallory","role":"admin"}`,
      `  bob:${hash}  `,
      `carol:${hash}:{"client_id":"cli","scope":["x"]}`,
      `dave:${hash}:{"azp":7}`
    ].join('\r\n'),
    'users.txt'
  )
  t.same([...users.keys()], ['alice', 'bob', 'carol', 'dave'])
  t.match(
    users.get('alice'),
    { claims: { scope: ' a  b ', azp: 'web', role: 'admin', sub: 'alice' }, scopes: ['a', 'b'], tokenClientId: 'web' },
    'sub is always the name'
  )
  t.match(users.get('bob'), { claims: { sub: 'bob' }, scopes: [], tokenClientId: undefined })
  t.match(users.get('carol'), { scopes: [], tokenClientId: 'cli' }, 'a scope that is not a string gives none')
  t.equal(users.get('dave')?.tokenClientId, undefined)
})

t.test('a line the file cannot mean is an error naming the file and line', async t => {
  const hash = await hashSecret('pw', COST)
  const cases: Array<[string, RegExp]> = [
    ['alice', /^users\.txt:2: expected name:hash$/],
    [`:${hash}`, /^users\.txt:2: expected name:hash$/],
    ['alice:plain-password', /^users\.txt:2: the hash must be what `gatehouse hash-secret` prints/],
    [`alice:${hash}:{nope`, /^users\.txt:2: the claims after the hash are not JSON$/],
    [`alice:${hash}:[1]`, /^users\.txt:2: the claims after the hash must be a JSON object$/],
    [`alice:${hash}:null`, /^users\.txt:2: the claims after the hash must be a JSON object$/],
    [`alice:${hash}:"x"`, /^users\.txt:2: the claims after the hash must be a JSON object$/],
    [`bob:${hash}\nbob:${hash}`, /^users\.txt:3: duplicate user "bob"$/]
  ]
  for (const [line, error] of cases) t.throws(() => parseUsersFile(`# users\n${line}\n`, 'users.txt'), error, line.slice(0, 30))
})
