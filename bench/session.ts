import { systemClock } from '../src/clock.js'
import { loadConfig } from '../src/load-config.js'
import { createLogger } from '../src/logger.js'
import { createCache } from '../src/cache/two-tier.js'
import { createCipher } from '../src/auth/oidc/cipher.js'
import { SessionStore } from '../src/auth/oidc/session-store.js'
import { userSessions } from '../src/auth/oidc/user-sessions.js'
import { parseDuration } from '../src/config/units.js'
import type { AuthenticatorConfig } from '../src/config/types.js'

/** session.key of the bench's oidc authenticator. */
export const BENCH_SESSION_KEY = 'bench-session-key-0123456789abcdef0123456789'

/** The bench's oidc authenticator: its provider is never asked, since the session is made here. */
export function benchOidcYaml (): string {
  return `  browser: { type: oidc, issuer: "http://127.0.0.1:9/", clientId: bench, clientSecret: bench-secret, session: { key: "${BENCH_SESSION_KEY}" } }\n`
}

/**
 * A browser session as a login would leave it, written into the gateway's Redis by the same
 * store the gateway reads: the bench measures the session-cookie route without a provider.
 * Returns the Cookie header to send.
 */
export async function benchSessionCookie (configFile: string): Promise<string> {
  const config = await loadConfig(configFile)
  const auth = config.authenticators.get('browser') as AuthenticatorConfig<'oidc'>
  const cache = await createCache(config, createLogger('error'), undefined, systemClock)
  try {
    const timeouts = { idleMs: parseDuration(auth.spec.session?.idleTimeout ?? '30m'), absoluteMs: parseDuration(auth.spec.session?.absoluteTimeout ?? '12h') }
    const store = new SessionStore(cache, createCipher(BENCH_SESSION_KEY, 'session'), timeouts, userSessions(undefined), systemClock)
    const now = Date.now()
    const sid = await store.create({
      user: 'bench-user',
      claims: { sub: 'bench-user', email: 'bench@example.com' },
      scopes: ['openid', 'profile', 'email'],
      accessToken: 'bench-access-token',
      refreshToken: undefined,
      idToken: undefined,
      tokensExpireAt: undefined,
      createdAt: now,
      lastSeen: now
    })
    return `${auth.spec.session?.cookie ?? 'gatehouse-session'}=${sid}`
  } finally {
    await cache.close()
  }
}
