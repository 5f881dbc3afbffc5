import t from 'tap'
import { join } from 'node:path'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createBasicAuthenticator } from '../../src/auth/basic.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { SecretCheckSlots } from '../../src/secrets/secret-check-slots.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { MAX_FAILED_ATTEMPTS, MAX_FAILED_ATTEMPTS_PER_ADDRESS } from '../../src/tokens/oauth-endpoints.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { authOutcome, authRequest, quietLogger } from '../helpers/auth-unit.js'
import { manualClock } from '../helpers/clock.js'

const basic = (credentials: string): { authorization: string } => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` })

// The decision passes dryRun as a boolean on every request: false for a real one, true for explain and the decision API's dry runs.
t.test('a dry run neither counts a failure nor makes a name known at an address; a real request does both', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-basic-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'users.txt')
  const cost = { N: 1024, r: 8, p: 1 }
  await writeFile(file, (await Promise.all(['alice', 'bob', 'carol'].map(async n => `${n}:${await hashSecret(`${n}-pw`, cost)}`))).join('\n'))
  const cfg = { name: 'users', type: 'basic', principal: 'user', spec: { type: 'basic', usersFile: file } } as unknown as AuthenticatorConfig<'basic'>
  const clock = manualClock()
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quietLogger, undefined, undefined, undefined, undefined, clock)
  const a = await createBasicAuthenticator(cfg, { slots: new SecretCheckSlots(['basic'], 2), cache, clock })
  const real = { ip: '10.0.0.1', dryRun: false }
  for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) t.match(await authOutcome(a, authRequest(basic('alice:guess'), real)), { status: 401 })
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'), real)), { status: 429, code: 'rate_limited' }, 'real failures are counted')

  const dry = { ip: '10.0.0.2', dryRun: true }
  for (let i = 0; i < MAX_FAILED_ATTEMPTS + 2; i++) t.match(await authOutcome(a, authRequest(basic('bob:guess'), dry)), { status: 401 })
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'), { ...dry, dryRun: false })), { id: 'bob' }, 'dry-run failures are not')

  const here = { ip: '10.0.0.3', dryRun: false }
  t.match(await authOutcome(a, authRequest(basic('carol:carol-pw'), { ...here, dryRun: true })), { id: 'carol' })
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'), here)), { id: 'bob' })
  for (let i = 0; i < MAX_FAILED_ATTEMPTS_PER_ADDRESS; i++) await authOutcome(a, authRequest(basic(`user-${i}:guess`), here))
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'), here)), { id: 'bob' }, 'a real login makes bob known here: exempt from the address limit')
  t.match(await authOutcome(a, authRequest(basic('carol:carol-pw'), here)), { status: 429, code: 'rate_limited' }, 'a dry-run login does not')
})
