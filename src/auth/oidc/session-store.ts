import { randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { cacheKey, type Cache } from '../../cache/cache.js'
import type { Clock } from '../../clock.js'
import type { Cipher } from './cipher.js'
import type { UserSessions } from './user-sessions.js'

/** What the gateway keeps about a logged-in browser; the cookie carries only the session's id. */
export interface Session {
  user: string
  claims: Record<string, unknown>
  scopes: string[]
  accessToken: string
  refreshToken: string | undefined
  idToken: string | undefined
  /** ms since epoch when the provider's tokens expire: then the refresh token is used, or the session ends. */
  tokensExpireAt: number | undefined
  createdAt: number
  lastSeen: number
}

export const SESSION_KIND = 'oidc-session'
/**
 * Decrypted sessions kept by their sealed text (a changed session is a new text, so nothing
 * stale is read): the warm path decrypts nothing. Bounded by the sealed texts' size, about
 * what the sessions themselves hold.
 */
const OPENED_MAX_ENTRIES = 10_000
const OPENED_MAX_BYTES = 8 * 1024 * 1024

export interface SessionTimeouts {
  idleMs: number
  absoluteMs: number
}

/** When a session ends, unless used (idle) or by its age (absolute), whichever is first. */
export function sessionEnd (s: Pick<Session, 'createdAt' | 'lastSeen'>, timeouts: SessionTimeouts): number {
  return Math.min(s.lastSeen + timeouts.idleMs, s.createdAt + timeouts.absoluteMs)
}

/**
 * Sessions in the gateway's cache (Redis behind the local tier; the local tier alone
 * without Redis), each encrypted with `session.key` and bound to its own key, living until
 * its idle or absolute end. Deleting one goes through the cache's invalidation, so every
 * instance forgets it at once.
 */
export class SessionStore {
  private readonly opened = new LRUCache<string, Session>({
    max: OPENED_MAX_ENTRIES,
    maxSize: OPENED_MAX_BYTES,
    sizeCalculation: (_session, sealed) => 2 * sealed.length
  })

  constructor (
    private readonly cache: Cache,
    private readonly cipher: Cipher,
    private readonly timeouts: SessionTimeouts,
    private readonly users: UserSessions,
    private readonly clock: Clock
  ) {}

  /**
   * The session, or undefined when there is none, it ended, or it does not decrypt; `fresh`
   * skips this instance's copy. Rejects when Redis holds the sessions but cannot be asked: a
   * session this instance has not seen is then unknown, not absent.
   */
  async load (sid: string, fresh = false): Promise<Session | undefined> {
    if (fresh) this.cache.evict(SESSION_KIND, sid)
    const sealed = await this.cache.getHeld<string>(SESSION_KIND, sid)
    if (typeof sealed !== 'string') return undefined
    let session = this.opened.get(sealed)
    if (session === undefined) {
      const text = this.cipher.open(cacheKey(SESSION_KIND, sid), sealed)
      if (text === undefined) return undefined
      session = JSON.parse(text) as Session
      this.opened.set(sealed, session)
    }
    return sessionEnd(session, this.timeouts) > this.clock() ? session : undefined
  }

  /**
   * Writes a session that exists already (refreshed tokens, a later last use): false when it
   * ended meanwhile (logged out, revoked, timed out), and then it stays ended. A refresh that
   * took seconds must not bring back a session that was ended while it ran.
   */
  async update (sid: string, session: Session): Promise<boolean> {
    const ttlMs = sessionEnd(session, this.timeouts) - this.clock()
    if (ttlMs <= 0) return false
    const sealed = this.cipher.seal(cacheKey(SESSION_KIND, sid), JSON.stringify(session))
    if (!(await this.cache.replace(SESSION_KIND, sid, sealed, ttlMs))) return false
    this.opened.set(sealed, session)
    return true
  }

  async create (session: Session): Promise<string> {
    const sid = randomBytes(32).toString('base64url')
    const ttlMs = sessionEnd(session, this.timeouts) - this.clock()
    const sealed = this.cipher.seal(cacheKey(SESSION_KIND, sid), JSON.stringify(session))
    this.opened.set(sealed, session)
    await this.cache.set(SESSION_KIND, sid, sealed, ttlMs)
    await this.users.add(session.user, cacheKey(SESSION_KIND, sid), this.timeouts.absoluteMs)
    return sid
  }

  /** Ends the session here and on every instance; rejects when Redis holds it but cannot be told. */
  async destroy (sid: string, user: string | undefined): Promise<void> {
    await this.cache.delete(SESSION_KIND, sid)
    if (user !== undefined) await this.users.remove(user, cacheKey(SESSION_KIND, sid))
  }
}
