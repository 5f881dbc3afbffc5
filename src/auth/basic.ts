import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { GatehouseError } from '../errors.js'
import type { AuthenticatorConfig } from '../config/types.js'
import type { Authenticator, UserPrincipal } from './types.js'

/**
 * HTTP Basic against a users file (testing only). Each line is
 * `name:scrypt$<N>$<r>$<p>$<salt>$<key>[:<JSON claims>]`, salt and key base64url; blank
 * lines and `#` comments are skipped. See docs/basic-auth.md.
 */

interface ScryptHash { N: number, r: number, p: number, salt: Buffer, key: Buffer }

interface BasicUser {
  hash: ScryptHash
  claims: Record<string, unknown>
  scopes: string[]
  tokenClientId: string | undefined
}

const HASH = /^scrypt\$([0-9]+)\$([0-9]+)\$([0-9]+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/

async function scrypt (password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => { err === null ? resolve(key) : reject(err) })
  })
}

const costOf = (h: { N: number, r: number, p: number }): ScryptOptions => ({ N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + 1024 * 1024 })

/** A users-file hash for a password; tests pass a low N, real files keep the default. */
export async function hashBasicPassword (password: string, cost: { N?: number, r?: number, p?: number } = {}): Promise<string> {
  const c = { N: cost.N ?? 16384, r: cost.r ?? 8, p: cost.p ?? 1 }
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, 32, costOf(c))
  return `scrypt$${c.N}$${c.r}$${c.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

function parseHash (text: string): ScryptHash | undefined {
  const m = HASH.exec(text)
  if (m === null) return undefined
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (N < 2 || (N & (N - 1)) !== 0 || r < 1 || p < 1) return undefined
  const key = Buffer.from(m[5], 'base64url')
  if (key.length < 16) return undefined
  return { N, r, p, salt: Buffer.from(m[4], 'base64url'), key }
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
    const hash = parseHash(second === -1 ? line.slice(first + 1) : line.slice(first + 1, second))
    if (hash === undefined) throw new Error(`${where}: the hash must be scrypt$N$r$p$salt$key (N a power of two, key at least 16 bytes)`)
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

export async function createBasicAuthenticator (cfg: AuthenticatorConfig<'basic'>): Promise<Authenticator> {
  const file = cfg.spec.usersFile
  const users = parseUsersFile(await readFile(file, 'utf8'), file)
  // An unknown name costs one scrypt at the file's cost too, so timing does not tell which names exist.
  const cost = users.values().next().value?.hash
  const decoy = parseHash(await hashBasicPassword(randomBytes(16).toString('hex'), cost ?? {})) as ScryptHash
  const challenge = { scheme: 'Basic', params: { realm: 'gatehouse' } }
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
      const user = users.get(decoded.slice(0, colon))
      const hash = user?.hash ?? decoy
      const key = await scrypt(decoded.slice(colon + 1), hash.salt, hash.key.length, costOf(hash))
      if (!timingSafeEqual(key, hash.key) || user === undefined) throw fail('unknown user or wrong password')
      return {
        kind: 'user',
        id: decoded.slice(0, colon),
        scopes: user.scopes,
        claims: user.claims,
        tokenClientId: user.tokenClientId,
        authenticator: cfg.name
      }
    }
  }
}
