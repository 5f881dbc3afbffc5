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
import { authOutcome, authRequest, quietLogger } from '../helpers/auth-unit.js'
import { manualClock } from '../helpers/clock.js'

const basic = (credentials: string): { authorization: string } => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` })

t.test('the failures-per-address limit holds one address, not the others', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-basic-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'users.txt')
  await writeFile(file, `alice:${await hashSecret('alice-pw', { N: 1024, r: 8, p: 1 })}\n`)
  const cfg = { name: 'users', type: 'basic', principal: 'user', spec: { type: 'basic', usersFile: file } } as unknown as AuthenticatorConfig<'basic'>
  const clock = manualClock()
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quietLogger, undefined, undefined, undefined, undefined, clock)
  const a = await createBasicAuthenticator(cfg, { slots: new SecretCheckSlots(['basic'], 2), cache, clock })
  for (let i = 0; i < MAX_FAILED_ATTEMPTS_PER_ADDRESS; i++) await authOutcome(a, authRequest(basic(`user-${i}:guess`), { ip: '10.0.0.1' }))
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'), { ip: '10.0.0.1' })), {
    status: 429,
    code: 'rate_limited',
    detail: `too many failed logins; retry in ${FAILED_ATTEMPTS_WINDOW_MS / 1000}s`,
    headers: { 'retry-after': String(FAILED_ATTEMPTS_WINDOW_MS / 1000) }
  }, 'the address that failed is held')
  t.match(await authOutcome(a, authRequest(basic('alice:alice-pw'), { ip: '10.0.0.2' })), { kind: 'user', id: 'alice' }, 'another address is not')
})
