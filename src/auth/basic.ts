import { readFile } from 'node:fs/promises'
import { GatehouseError } from '../errors.js'
import type { AuthenticatorConfig } from '../config/types.js'
import type { Cache } from '../cache/cache.js'
import type { Clock } from '../clock.js'
import { AttemptLimiter, type Limit } from '../tokens/attempt-limiter.js'
import { decoyHash, parseSecretHash, verifySecret, type SecretHash } from '../secrets/client-secret.js'
import { FAILED_ATTEMPTS_WINDOW_MS, MAX_FAILED_ATTEMPTS, MAX_FAILED_ATTEMPTS_PER_ADDRESS } from '../tokens/oauth-endpoints.js'
import type { SecretCheckSlots } from '../secrets/secret-check-slots.js'
import type { Authenticator, UserPrincipal } from './types.js'

/**
 * HTTP Basic against a users file (testing only). Each line is `name:<hash>[:<JSON claims>]`
 * where the hash is what `gatehouse hash-secret` prints (the client secrets' scrypt form);
 * blank lines and `#` comments are skipped. See docs/basic-auth.md.
 */

interface BasicUser {
  hash: SecretHash
  claims: Record<string, unknown>
  scopes: string[]
  tokenClientId: string | undefined
}

export function parseUsersFile (text: string, file: string): Map<string, BasicUser> {
  const users = new Map<string, BasicUser>()
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const where = `${file}:${i + 1}`
    const first = line.indexOf(':')
    const second = line.indexOf(':', first + 1)
    if (first <= 0) throw new Error(`${where}: expected name:hash`)
    const name = line.slice(0, first)
    const hash = parseSecretHash(second === -1 ? line.slice(first + 1) : line.slice(first + 1, second))
    if (hash === undefined) throw new Error(`${where}: the hash must be what \`gatehouse hash-secret\` prints (scrypt$N=…,r=…,p=…$salt$hash)`)
    let claims: Record<string, unknown> = {}
    if (second !== -1) {
      let parsed: unknown
      try {
        parsed = JSON.parse(line.slice(second + 1))
      } catch (err) {
        throw new Error(`${where}: the claims after the hash are not JSON`, { cause: err })
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${where}: the claims after the hash must be a JSON object`)
      claims = parsed as Record<string, unknown>
    }
    if (users.has(name)) throw new Error(`${where}: duplicate user "${name}"`)
    const scope = claims.scope
    const clientId = claims.azp ?? claims.client_id
    users.set(name, {
      hash,
      claims: { ...claims, sub: name },
      scopes: typeof scope === 'string' ? scope.split(' ').filter(s => s !== '') : [],
      tokenClientId: typeof clientId === 'string' ? clientId : undefined
    })
  }
  return users
}

/** A user that logged in from an address is exempt from that address's limit across names this long. */
const KNOWN_GOOD_MS = 24 * 60 * 60 * 1000
const KNOWN_GOOD = 'basic-ok'

export interface BasicDeps {
  /** The gateway's secret-check slots: Basic has a budget of its own, apart from the token endpoint's. */
  slots: SecretCheckSlots
  /** Where failed attempts are counted (shared through Redis by every instance). */
  cache: Cache
  /** What the failed-attempt windows are measured with. */
  clock: Clock
}

export async function createBasicAuthenticator (cfg: AuthenticatorConfig<'basic'>, deps: BasicDeps): Promise<Authenticator> {
  const file = cfg.spec.usersFile
  const users = parseUsersFile(await readFile(file, 'utf8'), file)
  // An unknown name costs one scrypt at the file's cost too, so timing does not tell which names exist.
  const first = users.values().next().value?.hash
  const decoy = decoyHash(first)
  const challenge = { scheme: 'Basic', params: { realm: 'gatehouse' } }
  const limiter = new AttemptLimiter(deps.cache, FAILED_ATTEMPTS_WINDOW_MS, deps.clock)
  const throttled = (code: 'rate_limited' | 'auth_unavailable', detail: string, retryAfter: number): GatehouseError =>
    new GatehouseError(code, detail, { principal: 'user', authenticator: cfg.name, headers: { 'retry-after': String(retryAfter) } })
  const fail = (detail: string): GatehouseError =>
    new GatehouseError('invalid_credentials', detail, { principal: 'user', authenticator: cfg.name, challenges: [challenge] })

  return {
    name: cfg.name,
    type: 'basic',
    principal: 'user',
    challenge,
    consumes: { headers: ['authorization'], query: [] },
    async authenticate (req): Promise<UserPrincipal | undefined> {
      const header = req.headers.authorization
      if (Array.isArray(header)) throw fail('more than one Authorization header')
      if (header === undefined || !/^basic /i.test(header)) return undefined
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon <= 0) throw fail('malformed Basic credentials')
      const name = decoded.slice(0, colon)
      const user = users.get(name)
      // As at the token endpoint: failures counted per name and address, and per address across
      // names (unless this name logged in from there before), each before scrypt runs.
      const here = JSON.stringify([cfg.name, name, req.ip])
      const limits: Limit[] = [{ key: `basic-user-address:${here}`, max: MAX_FAILED_ATTEMPTS }]
      const knownGood = (await deps.cache.get<number>(KNOWN_GOOD, here)) !== undefined
      if (!knownGood) limits.push({ key: `basic-address:${JSON.stringify([cfg.name, req.ip])}`, max: MAX_FAILED_ATTEMPTS_PER_ADDRESS })
      const reservation = await limiter.reserve(limits)
      if (!reservation.ok) throw throttled('rate_limited', `too many failed logins; retry in ${reservation.retryAfter}s`, reservation.retryAfter)
      // scrypt shares the thread pool with everything else: one check per user at a time, and a few for Basic overall.
      const slot = deps.slots.take('basic', `${cfg.name}:${name}`)
      if (!slot.ok) {
        await reservation.release()
        throw slot.busy === 'name'
          ? throttled('rate_limited', 'too many concurrent logins for this user; retry', 1)
          : throttled('auth_unavailable', 'too many password checks at once; retry', 1)
      }
      let matches: boolean
      try {
        matches = await verifySecret(decoded.slice(colon + 1), user?.hash ?? decoy)
      } finally {
        slot.release()
      }
      if (!matches || user === undefined) {
        // The reservation stays: it was a failure (unless only asked what would happen).
        if (req.dryRun === true) await reservation.release()
        throw fail('unknown user or wrong password')
      }
      await reservation.release()
      if (!knownGood && req.dryRun !== true) await deps.cache.set(KNOWN_GOOD, here, 1, KNOWN_GOOD_MS)
      return {
        kind: 'user',
        id: name,
        scopes: user.scopes,
        claims: user.claims,
        tokenClientId: user.tokenClientId,
        authenticator: cfg.name
      }
    }
  }
}
