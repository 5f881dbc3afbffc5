import t, { type Test } from 'tap'
import { join } from 'node:path'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createBasicAuthenticator } from '../../src/auth/basic.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { SecretCheckSlots } from '../../src/secrets/secret-check-slots.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { FAILED_ATTEMPTS_WINDOW_MS, MAX_FAILED_ATTEMPTS, MAX_FAILED_ATTEMPTS_PER_ADDRESS } from '../../src/tokens/oauth-endpoints.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import type { Authenticator } from '../../src/auth/types.js'
import { authOutcome, authRequest, quietLogger } from '../helpers/auth-unit.js'
import { manualClock, type TestClock } from '../helpers/clock.js'

const basic = (credentials: string): { authorization: string } => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` })

async function setup (t: Test): Promise<{ a: Authenticator, clock: TestClock, slots: SecretCheckSlots }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-basic-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'users.txt')
  const cost = { N: 1024, r: 8, p: 1 }
  await writeFile(file, `alice:${await hashSecret('alice-pw', cost)}\nbob:${await hashSecret('bob-pw', cost)}\n`)
  const cfg = { name: 'users', type: 'basic', principal: 'user', spec: { type: 'basic', usersFile: file } } as unknown as AuthenticatorConfig<'basic'>
  const clock = manualClock()
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quietLogger, undefined, undefined, undefined, undefined, clock)
  const slots = new SecretCheckSlots(['basic'], 2)
  return { a: await createBasicAuthenticator(cfg, { slots, cache, clock }), clock, slots }
}

t.test('failures per name and address: past the limit even the right password is 429 until the window ends', async t => {
  const { a, clock } = await setup(t)
  for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) t.match(await authOutcome(a, authRequest(basic('alice:guess'))), { status: 401 })
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'))), { status: 429, code: 'rate_limited', headers: { 'retry-after': '60' } })
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'), { ip: '10.0.0.2' })), { id: 'alice' }, 'another address is not limited')
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'))), { id: 'bob' }, 'another name from the address is not limited')
  clock.advance(FAILED_ATTEMPTS_WINDOW_MS)
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'))), { id: 'alice' })
})

t.test('a success takes its attempt back: logins never add up to a limit', async t => {
  const { a } = await setup(t)
  for (let i = 0; i < MAX_FAILED_ATTEMPTS + 2; i++) t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'))), { id: 'alice' })
  for (let i = 0; i < MAX_FAILED_ATTEMPTS - 1; i++) await authOutcome(a, authRequest(basic('alice:guess')))
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'))), { id: 'alice' }, 'nine failures: the tenth attempt is still checked')
})

t.test('failures per address across names; a name that logged in from there before is exempt', async t => {
  const { a } = await setup(t)
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'))), { id: 'bob' })
  for (let i = 0; i < MAX_FAILED_ATTEMPTS_PER_ADDRESS; i++) await authOutcome(a, authRequest(basic(`user-${i}:guess`)))
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'))), { status: 429, code: 'rate_limited' })
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'))), { id: 'bob' }, 'bob logged in from here before')
})

t.test('one password check per user at a time, a few for Basic overall', async t => {
  const { a, slots } = await setup(t)
  const held = slots.take('basic', 'users:alice')
  t.same(await authOutcome(a, authRequest(basic('alice:alice-pw'))), {
    status: 429, code: 'rate_limited', detail: 'too many concurrent logins for this user; retry', challenges: [], headers: { 'retry-after': '1' }
  })
  const other = slots.take('basic', 'users:carol')
  t.same(await authOutcome(a, authRequest(basic('bob:bob-pw'))), {
    status: 503, code: 'auth_unavailable', detail: 'too many password checks at once; retry', challenges: [], headers: { 'retry-after': '1' }
  })
  if (held.ok) held.release()
  if (other.ok) other.release()
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'))), { id: 'alice' })
  for (let i = 0; i < MAX_FAILED_ATTEMPTS - 1; i++) await authOutcome(a, authRequest(basic('alice:guess')))
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'))), { id: 'alice' }, 'the refusals for busy slots were not counted as failures')
})
