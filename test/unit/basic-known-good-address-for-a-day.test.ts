import t from 'tap'
import { join } from 'node:path'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createBasicAuthenticator } from '../../src/auth/basic.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { SecretCheckSlots } from '../../src/secrets/secret-check-slots.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { FAILED_ATTEMPTS_WINDOW_MS, MAX_FAILED_ATTEMPTS_PER_ADDRESS } from '../../src/tokens/oauth-endpoints.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import type { Authenticator } from '../../src/auth/types.js'
import { authOutcome, authRequest, quietLogger } from '../helpers/auth-unit.js'
import { manualClock } from '../helpers/clock.js'

const DAY_MS = 24 * 60 * 60 * 1000
const basic = (credentials: string): { authorization: string } => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` })

async function failuresFromAddress (a: Authenticator, round: number): Promise<void> {
  for (let i = 0; i < MAX_FAILED_ATTEMPTS_PER_ADDRESS; i++) await authOutcome(a, authRequest(basic(`user-${round}-${i}:guess`)))
}

t.test('a name that logged in from an address is exempt from that address\'s limit for 24 hours, then no longer', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-basic-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'users.txt')
  await writeFile(file, `bob:${await hashSecret('bob-pw', { N: 1024, r: 8, p: 1 })}\n`)
  const cfg = { name: 'users', type: 'basic', principal: 'user', spec: { type: 'basic', usersFile: file } } as unknown as AuthenticatorConfig<'basic'>
  const clock = manualClock()
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quietLogger, undefined, undefined, undefined, undefined, clock)
  const a = await createBasicAuthenticator(cfg, { slots: new SecretCheckSlots(['basic'], 2), cache, clock })
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'))), { id: 'bob' })
  clock.advance(DAY_MS - FAILED_ATTEMPTS_WINDOW_MS)
  await failuresFromAddress(a, 1)
  t.match(await authOutcome(a, authRequest(basic('nobody:guess'))), { status: 429, code: 'rate_limited' }, 'the address is at its limit')
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'))), { id: 'bob' }, 'a minute short of a day: bob is still exempt')
  clock.advance(FAILED_ATTEMPTS_WINDOW_MS + 1)
  await failuresFromAddress(a, 2)
  t.match(await authOutcome(a, authRequest(basic('bob:bob-pw'))), { status: 429, code: 'rate_limited' }, 'a day on: bob counts with the address again')
})
