import t from 'tap'
import { join } from 'node:path'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createBasicAuthenticator } from '../../src/auth/basic.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { SecretCheckSlots } from '../../src/secrets/secret-check-slots.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { authOutcome, authRequest, quietLogger } from '../helpers/auth-unit.js'
import { manualClock } from '../helpers/clock.js'

t.test('an Authorization header of another scheme is no decision, even when "basic " appears inside it', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-basic-'))
  t.teardown(async () => await rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'users.txt')
  await writeFile(file, `alice:${await hashSecret('alice-pw', { N: 1024, r: 8, p: 1 })}\n`)
  const cfg = { name: 'users', type: 'basic', principal: 'user', spec: { type: 'basic', usersFile: file } } as unknown as AuthenticatorConfig<'basic'>
  const clock = manualClock()
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quietLogger, undefined, undefined, undefined, undefined, clock)
  const a = await createBasicAuthenticator(cfg, { slots: new SecretCheckSlots(['basic'], 2), cache, clock })
  t.equal(await authOutcome(a, authRequest({ authorization: 'Digest username="alice", realm="basic area", nonce="abc"' })), undefined)
  const lowercase = `basic ${Buffer.from('alice:alice-pw').toString('base64')}`
  t.match(await authOutcome(a, authRequest({ authorization: lowercase })), { id: 'alice' }, 'the scheme itself in any case')
})
