/**
 * What an identity assertion costs per request: a fresh Ed25519 signature every time
 * against the signer's reuse of one assertion per identity and upstream.
 *
 *   npm run build && node dist/bench/assertion-signing.js [iterations=20000]
 */
import { systemClock } from '../src/clock.js'
import { loadSigningKeys } from '../src/tokens/signing-keys.js'
import { TokenService } from '../src/tokens/token-service.js'
import { ASSERTION_TYPE, createAssertionSigner } from '../src/identity/assertion.js'
import type { Identity } from '../src/policy/authenticate.js'

const iterations = Number(process.argv[2] ?? 20_000)

async function timeIt (label: string, run: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 1000; i++) await run(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) await run(i)
  const us = Number(process.hrtime.bigint() - start) / 1000 / iterations
  process.stdout.write(`${label.padEnd(34)} ${us.toFixed(2)} µs/request\n`)
}

async function main (): Promise<void> {
  const tokens = new TokenService(await loadSigningKeys(undefined, undefined), 'https://gatehouse.example', 900_000, undefined, systemClock)
  const signer = createAssertionSigner({ header: 'Remote-Identity', ttlMs: 60_000 }, tokens)
  const identity = (user: string): Identity => ({
    user: { kind: 'user', id: user, scopes: ['orders:read'], claims: {}, tokenClientId: undefined, authenticator: 'idp' },
    client: undefined,
    authenticators: ['idp']
  })
  const alice = identity('alice')
  const users = Array.from({ length: 1000 }, (_, i) => identity(`user-${i}`))
  await timeIt(
    'sign every request (no reuse)',
    async () => await tokens.sign({ sub: 'alice', scope: 'orders:read', auth: ['idp'] }, { audience: 'orders', ttlMs: 60_000, type: ASSERTION_TYPE })
  )
  await timeIt('signer, one identity (reused)', async () => await signer.assert(alice, 'orders'))
  await timeIt('signer, 1000 identities (reused)', async i => await signer.assert(users[i % users.length], 'orders'))
}

await main()
