import t, { type Test } from 'tap'
import { join } from 'node:path'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createBasicAuthenticator } from '../../src/auth/basic.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { SecretCheckSlots } from '../../src/secrets/secret-check-slots.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import type { Authenticator } from '../../src/auth/types.js'
import { authOutcome, authRequest, quietLogger } from '../helpers/auth-unit.js'
import { manualClock } from '../helpers/clock.js'

const basic = (credentials: string): { authorization: string } => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` })
const wrong = {
  status: 401,
  code: 'invalid_credentials',
  detail: 'unknown user or wrong password',
  challenges: ['Basic realm="gatehouse"'],
  headers: undefined
}

async function authenticator (t: Test): Promise<Authenticator> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-basic-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'users.txt')
  await writeFile(file, `alice:${await hashSecret('pw:with:colons', { N: 1024, r: 8, p: 1 })}:{"scope":"orders:read","azp":"web","role":"admin"}\n`)
  const cfg = { name: 'users', type: 'basic', principal: 'user', spec: { type: 'basic', usersFile: file } } as unknown as AuthenticatorConfig<'basic'>
  const clock = manualClock()
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quietLogger, undefined, undefined, undefined, undefined, clock)
  return await createBasicAuthenticator(cfg, { slots: new SecretCheckSlots(['basic']), cache, clock })
}

t.test("the right password: the user with the file's claims, scopes and token client", async t => {
  const a = await authenticator(t)
  t.same(
    await authOutcome(a, authRequest(basic('alice:pw:with:colons'))),
    {
      kind: 'user',
      id: 'alice',
      scopes: ['orders:read'],
      authenticator: 'users',
      claims: { scope: 'orders:read', azp: 'web', role: 'admin', sub: 'alice' },
      tokenClientId: 'web',
      exp: undefined
    },
    'the password is everything after the first colon'
  )
  t.match(
    await authOutcome(a, authRequest({ authorization: `basic  ${Buffer.from('alice:pw:with:colons').toString('base64')}` })),
    { id: 'alice' },
    'the scheme in any case'
  )
  t.same([a.name, a.type, a.principal], ['users', 'basic', 'user'])
  t.same(a.challenge, { scheme: 'Basic', params: { realm: 'gatehouse' } })
  t.same(a.consumes, { headers: ['authorization'], query: [] })
})

t.test('a wrong password and an unknown user get the same refusal', async t => {
  const a = await authenticator(t)
  t.same(await authOutcome(a, authRequest(basic('alice:pw'))), wrong)
  t.same(await authOutcome(a, authRequest(basic('mallory:pw:with:colons'))), wrong)
  t.same(await authOutcome(a, authRequest(basic('alice:'))), wrong)
})

t.test('no Basic credential is no decision; a malformed one or two headers are refused', async t => {
  const a = await authenticator(t)
  t.equal(await authOutcome(a, authRequest()), undefined)
  t.equal(await authOutcome(a, authRequest({ authorization: 'Bearer abc' })), undefined)
  t.equal(await authOutcome(a, authRequest({ authorization: 'Basically abc' })), undefined)
  const malformed = { status: 401, code: 'invalid_credentials', detail: 'malformed Basic credentials' }
  t.match(await authOutcome(a, authRequest(basic('alice'))), malformed, 'no colon')
  t.match(await authOutcome(a, authRequest(basic(':pw'))), malformed, 'no name')
  t.match(await authOutcome(a, authRequest({ authorization: [basic('alice:pw:with:colons').authorization, 'Basic x'] })), {
    status: 401,
    code: 'invalid_credentials',
    detail: 'more than one Authorization header'
  })
})
