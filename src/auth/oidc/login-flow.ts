import { timingSafeEqual } from 'node:crypto'
import * as oauth from 'oauth4webapi'
import { GatehouseError } from '../../errors.js'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../logger.js'
import type { Cipher } from './cipher.js'
import { clearCookie, cookieName, readCookie, setCookie } from './cookies.js'
import { ProviderRefusal, type ProviderClient, type Tokens } from './provider-client.js'
import { safeReturnPath } from './return-to.js'
import type { Session, SessionStore, SessionTimeouts } from './session-store.js'

/** How long a browser has from being sent to the provider to coming back. */
const LOGIN_TTL_MS = 10 * 60_000
const LOGIN_AAD = 'gatehouse oidc login'

export interface LoginSettings {
  name: string
  clientId: string
  scopes: string[]
  redirectPath: string
  postLogoutRedirect: string
  userClaim: string
  /** The session cookie's base name; `-login` is added for the login in progress. */
  cookie: string
  timeouts: SessionTimeouts
  /** What session times (creation, last use, token expiry) are read from. */
  clock: Clock
}

/** What a login step answers: a redirect and the cookies to set with it. */
export interface LoginAnswer {
  location: string
  cookies: string[]
}

/** What the login cookie carries between the redirect to the provider and the way back: sealed, so only this gateway reads it. */
interface PendingLogin { state: string, verifier: string, nonce: string, returnTo: string, exp: number }

function sameText (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const refused = (name: string, detail: string, cause?: unknown): GatehouseError =>
  new GatehouseError('invalid_credentials', detail, { cause, principal: 'user', authenticator: name })

/**
 * The browser login of OpenID Connect Core §3.1: authorization code with PKCE (S256), a
 * `state` bound to this browser by a sealed cookie, a `nonce` the ID token must repeat; then
 * a server-side session behind an opaque cookie. Also the session's refresh and its logout.
 */
export function loginFlow (settings: LoginSettings, provider: ProviderClient, store: SessionStore, cipher: Cipher, logger: Logger): {
  start (target: string, origin: string, secure: boolean): Promise<LoginAnswer>
  finish (query: URLSearchParams, cookies: string | undefined, origin: string, secure: boolean): Promise<LoginAnswer>
  logout (cookies: string | undefined, origin: string, secure: boolean): Promise<LoginAnswer>
  refresh (sid: string, session: Session): Promise<Session | undefined>
} {
  const { name, clientId, userClaim } = settings
  const absoluteS = Math.floor(settings.timeouts.absoluteMs / 1000)

  /** The claims of a verified login or refresh: the ID token's, completed by userinfo. */
  async function claimsOf (tokens: Tokens, sub: string | undefined): Promise<Record<string, unknown>> {
    const idClaims = tokens.claims
    if (idClaims === undefined) throw new ProviderRefusal('the token response has no ID token')
    if (sub !== undefined && idClaims.sub !== sub) throw new ProviderRefusal('the refreshed ID token names another user')
    const info = await provider.userinfo(tokens.accessToken, idClaims.sub as string)
    return { ...info, ...idClaims }
  }

  function userOf (claims: Record<string, unknown>): string {
    const v = claims[userClaim]
    if ((typeof v === 'string' && v !== '') || typeof v === 'number') return String(v)
    throw new ProviderRefusal(`the provider gave no ${userClaim} claim`)
  }

  async function endSession (sid: string | undefined): Promise<Session | undefined> {
    if (sid === undefined) return undefined
    const session = await store.load(sid)
    await store.destroy(sid, session?.user)
    return session
  }

  return {
    async start (target, origin, secure) {
      const meta = await provider.meta()
      const pending: PendingLogin = {
        state: oauth.generateRandomState(),
        verifier: oauth.generateRandomCodeVerifier(),
        nonce: oauth.generateRandomNonce(),
        returnTo: safeReturnPath(target),
        exp: settings.clock() + LOGIN_TTL_MS
      }
      const url = new URL(meta.authorizationEndpoint)
      url.searchParams.set('response_type', 'code')
      url.searchParams.set('client_id', clientId)
      url.searchParams.set('redirect_uri', `${origin}${settings.redirectPath}`)
      url.searchParams.set('scope', settings.scopes.join(' '))
      url.searchParams.set('state', pending.state)
      url.searchParams.set('nonce', pending.nonce)
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.verifier))
      url.searchParams.set('code_challenge_method', 'S256')
      const login = cookieName(`${settings.cookie}-login`, secure)
      return { location: url.href, cookies: [setCookie(login, cipher.seal(LOGIN_AAD, JSON.stringify(pending)), secure, LOGIN_TTL_MS / 1000)] }
    },

    async finish (query, cookies, origin, secure) {
      const loginName = cookieName(`${settings.cookie}-login`, secure)
      const sealed = readCookie(cookies, loginName)
      const opened = sealed === undefined ? undefined : cipher.open(LOGIN_AAD, sealed)
      const pending = opened === undefined ? undefined : JSON.parse(opened) as PendingLogin
      const state = query.get('state')
      if (pending === undefined || pending.exp < settings.clock() || state === null || !sameText(state, pending.state)) {
        throw refused(name, 'this login was not started by this browser, or it expired: open the page again')
      }
      let callback
      try {
        callback = provider.callback(await provider.meta(), query, pending.state)
      } catch (err) {
        if (err instanceof ProviderRefusal) throw refused(name, err.message, err)
        throw err
      }
      const code = callback.get('code')
      if (code === null || code === '') throw refused(name, 'the provider sent no authorization code')
      let session: Session
      try {
        const tokens = await provider.exchange(callback, `${origin}${settings.redirectPath}`, pending.verifier, pending.nonce)
        const claims = await claimsOf(tokens, undefined)
        const now = settings.clock()
        session = {
          user: userOf(claims),
          claims,
          scopes: tokens.scopes ?? settings.scopes,
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          idToken: tokens.idToken,
          tokensExpireAt: tokens.expiresAt,
          createdAt: now,
          lastSeen: now
        }
      } catch (err) {
        if (err instanceof ProviderRefusal) throw refused(name, `the login failed: ${err.message}`, err)
        throw err
      }
      // A session this browser had before is ended: a login always starts a new id (no fixation).
      const sessionName = cookieName(settings.cookie, secure)
      await endSession(readCookie(cookies, sessionName)).catch(() => {})
      const sid = await store.create(session)
      logger.info({ authenticator: name, user: session.user }, 'browser login')
      return { location: pending.returnTo, cookies: [setCookie(sessionName, sid, secure, absoluteS), clearCookie(loginName, secure)] }
    },

    async logout (cookies, origin, secure) {
      const sessionName = cookieName(settings.cookie, secure)
      let session: Session | undefined
      try {
        session = await endSession(readCookie(cookies, sessionName))
      } catch (err) {
        // Redis holds the session but cannot be told to drop it: a logout must not look done.
        throw new GatehouseError('auth_unavailable', 'the session store cannot be reached: the logout did not complete', {
          cause: err,
          headers: { 'retry-after': '5' },
          principal: 'user',
          authenticator: name
        })
      }
      if (session !== undefined) logger.info({ authenticator: name, user: session.user }, 'browser logout')
      const back = `${origin}${settings.postLogoutRedirect}`
      let location = settings.postLogoutRedirect
      const meta = await provider.meta().catch(() => undefined)
      if (meta?.endSessionEndpoint !== undefined) {
        // RP-initiated logout 1.0: the provider ends its own session, then sends the browser back.
        const url = new URL(meta.endSessionEndpoint)
        url.searchParams.set('client_id', clientId)
        url.searchParams.set('post_logout_redirect_uri', back)
        if (session?.idToken !== undefined) url.searchParams.set('id_token_hint', session.idToken)
        location = url.href
      }
      return { location, cookies: [clearCookie(sessionName, secure)] }
    },

    async refresh (sid, session) {
      if (session.refreshToken === undefined) {
        await store.destroy(sid, session.user).catch(() => {})
        return undefined
      }
      try {
        const tokens = await provider.refresh(session.refreshToken)
        const claims = tokens.claims === undefined ? session.claims : { ...session.claims, ...await claimsOf(tokens, session.claims.sub as string) }
        const next: Session = {
          ...session,
          claims,
          scopes: tokens.scopes ?? session.scopes,
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken ?? session.refreshToken,
          idToken: tokens.idToken ?? session.idToken,
          tokensExpireAt: tokens.expiresAt,
          lastSeen: settings.clock()
        }
        if (await store.update(sid, next)) return next
        logger.info({ authenticator: name, user: session.user }, 'browser session ended while its tokens were refreshed: it stays ended')
        return undefined
      } catch (err) {
        if (!(err instanceof ProviderRefusal)) throw err
        // Another instance may have used (and rotated) the refresh token first: its result counts.
        const current = await store.load(sid, true)
        if (current !== undefined && (current.tokensExpireAt === undefined || current.tokensExpireAt > settings.clock())) return current
        logger.info({ authenticator: name, user: session.user, reason: err.message }, 'browser session refresh refused: session ended')
        await store.destroy(sid, session.user).catch(() => {})
        return undefined
      }
    }
  }
}

export type LoginFlow = ReturnType<typeof loginFlow>
