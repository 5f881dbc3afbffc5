import { randomBytes } from 'node:crypto'
import { GatehouseError, isGatehouseError } from '../../errors.js'
import { parseDuration } from '../../config/units.js'
import type { AuthenticatorConfig } from '../../config/types.js'
import { createRedisClient } from '../../cache/redis-client.js'
import type { AuthDeps, UserPrincipal } from '../types.js'
import { createCipher } from './cipher.js'
import { clientAuth } from './client-auth.js'
import { cookieName, readCookie } from './cookies.js'
import { loginFlow } from './login-flow.js'
import { providerClient } from './provider-client.js'
import { providerMetadata } from './provider-metadata.js'
import { SESSION_KIND, SessionStore, sessionEnd, type Session, type SessionTimeouts } from './session-store.js'
import { cacheKey } from '../../cache/cache.js'
import { userSessions } from './user-sessions.js'
import type { OidcAuthenticator } from './oidc-authenticator.js'

/** A session id as the gateway makes them (32 random bytes, base64url): anything else is not looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

/**
 * `session.key`, else `cache.integrityKey` (the cipher derives its own key from it), else,
 * with no Redis to share sessions through (the loader refuses Redis without a key), one made
 * now: sessions and logins in progress then end with the process.
 */
function sessionKey (cfg: AuthenticatorConfig<'oidc'>, deps: AuthDeps): string {
  const own = cfg.spec.session?.key
  if (own !== undefined && own !== '') return own
  if (deps.config.cache.integrityKey !== undefined) return deps.config.cache.integrityKey
  deps.logger.warn(
    { authenticator: cfg.name },
    'session.key is not set: browser sessions are encrypted with a key made at start and end when this process does; set it (the same on every instance)'
  )
  return randomBytes(32).toString('hex')
}

export async function createOidcAuthenticator (cfg: AuthenticatorConfig<'oidc'>, deps: AuthDeps): Promise<OidcAuthenticator> {
  const s = cfg.spec
  const { logger } = deps
  const timeoutMs = parseDuration(s.timeout ?? '5s')
  const timeouts: SessionTimeouts = { idleMs: parseDuration(s.session?.idleTimeout ?? '30m'), absoluteMs: parseDuration(s.session?.absoluteTimeout ?? '12h') }
  // Touching a session (its idle clock) is a write: at most once a minute, or a tenth of the idle timeout.
  const touchEveryMs = Math.min(60_000, timeouts.idleMs / 10)
  const cookie = s.session?.cookie ?? 'gatehouse-session'
  const cipher = createCipher(sessionKey(cfg, deps), 'session')
  const redis = deps.config.cache.redis === undefined ? undefined : await createRedisClient(deps.config.cache.redis)
  redis?.on('error', () => {}) // the cache's own connection reports Redis trouble
  const users = userSessions(redis)
  const { clock } = deps
  const store = new SessionStore(deps.cache, cipher, timeouts, users, clock)
  const provider = providerClient({
    name: cfg.name,
    clientId: s.clientId,
    auth: clientAuth(s),
    metadata: providerMetadata({
      issuer: s.issuer, refreshMs: parseDuration(s.discoveryRefresh ?? '1h'), timeoutMs, authenticator: cfg.name, logger, clock, tracer: deps.tracer
    }),
    clockToleranceS: parseDuration(s.clockTolerance ?? '30s') / 1000,
    clock,
    timeoutMs,
    logger,
    tracer: deps.tracer
  })
  const login = loginFlow({
    name: cfg.name,
    clientId: s.clientId,
    scopes: s.scopes ?? ['openid', 'profile', 'email'],
    redirectPath: s.redirectPath ?? '/oauth2/callback',
    postLogoutRedirect: s.postLogoutRedirect ?? '/',
    userClaim: s.userClaim ?? 'sub',
    cookie,
    timeouts,
    clock
  }, provider, store, cipher, logger)

  const names = { plain: cookieName(cookie, false), secure: cookieName(cookie, true) }
  const principals = new WeakMap<Session, UserPrincipal>()
  /** Refreshes in flight, by session: concurrent requests of one browser make one refresh. */
  const refreshing = new Map<string, Promise<Session | undefined>>()

  function principalOf (session: Session, sid: string): UserPrincipal {
    const revocationKey = cacheKey(SESSION_KIND, sid)
    let p = principals.get(session)
    // Kept by session object, and checked against the sid: a principal never names another session's key.
    if (p === undefined || p.revocationKey !== revocationKey) {
      p = {
        kind: 'user',
        id: session.user,
        scopes: session.scopes,
        claims: session.claims,
        tokenClientId: s.clientId,
        authenticator: cfg.name,
        exp: Math.floor(session.createdAt / 1000 + timeouts.absoluteMs / 1000),
        revocationKey
      }
      principals.set(session, p)
    }
    return p
  }

  /** Redis holds the sessions and cannot be asked: a session is then unknown, not ended (no 401, no new login). */
  function storeUnavailable (err: unknown): never {
    if (isGatehouseError(err)) throw err
    throw new GatehouseError('auth_unavailable', 'browser sessions cannot be checked right now', {
      cause: err,
      headers: { 'retry-after': '1' },
      principal: 'user',
      authenticator: cfg.name
    })
  }

  function refreshed (sid: string, session: Session): Promise<Session | undefined> {
    let p = refreshing.get(sid)
    if (p === undefined) {
      p = login.refresh(sid, session).finally(() => refreshing.delete(sid))
      refreshing.set(sid, p)
    }
    return p
  }

  return {
    name: cfg.name,
    type: 'oidc',
    principal: 'user',
    challenge: { scheme: 'Cookie', params: { realm: 'gatehouse' } },
    // The login cookie too: it holds the PKCE verifier until the provider sends the browser back.
    consumes: { headers: [], query: [], cookies: [names.plain, names.secure, cookieName(`${cookie}-login`, false), cookieName(`${cookie}-login`, true)] },
    browserSession: true,
    login,
    redirectPath: s.redirectPath ?? '/oauth2/callback',
    logoutPath: s.logoutPath ?? '/oauth2/logout',
    async testSession (user, claims, scopes, secure) {
      const now = clock()
      const sid = await store.create({
        user,
        claims,
        scopes,
        accessToken: '',
        refreshToken: undefined,
        idToken: undefined,
        tokensExpireAt: undefined,
        createdAt: now,
        lastSeen: now
      })
      return `${secure ? names.secure : names.plain}=${sid}`
    },
    async authenticate (req) {
      // An absent, unknown or ended session is no credential: the browser is sent to log in again.
      const sid = readCookie(req.headers.cookie, req.secure === true ? names.secure : names.plain)
      if (sid === undefined || !SESSION_ID.test(sid)) return undefined
      let session = await store.load(sid).catch(storeUnavailable)
      if (session === undefined) return undefined
      const now = clock()
      if (session.tokensExpireAt !== undefined && session.tokensExpireAt <= now) {
        session = await refreshed(sid, session).catch(storeUnavailable)
        if (session === undefined) return undefined
      } else if (now - session.lastSeen >= touchEveryMs && sessionEnd(session, timeouts) > now) {
        void store.update(sid, { ...session, lastSeen: now })
      }
      return principalOf(session, sid)
    },
    async close () {
      provider.close()
      await users.close()
    }
  }
}
